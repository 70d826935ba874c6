// convopt bench MODEL [--threads N] [--runs R] [--json]: compiles the model once
// with the JIT engine, warms up, times whole inferences, prints min / median /
// p90 latency in milliseconds.
#include <algorithm>
#include <chrono>
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "codegen/jit_engine.h"
#include "ir/error.h"
#include "ir/onnx_io.h"
#include "ir/verifier.h"
#include "tools/commands.h"
#include "tools/engine_inputs.h"

namespace convopt::tools {

namespace {

struct BenchOptions {
  std::string model;
  int threads = 0;
  int runs = 20;
  int warmup = 3;
  bool json = false;
  std::string cpu;
  std::vector<std::string> shapes;
};

void bench(const BenchOptions& o) {
  if (o.runs < 1 || o.warmup < 0 || o.threads < 0) throwInputError("--runs must be >= 1, --warmup and --threads >= 0");
  ir::Model model = ir::loadModel(o.model);
  ir::verifyGraph(*model.graph);
  auto shapes = engineInputShapes(model, o.shapes);
  runtime::TensorMap inputs = randomEngineInputs(model, shapes, 0);
  codegen::JitEngine engine(model, shapes, {o.cpu, o.threads});
  for (int i = 0; i < o.warmup; ++i) engine.run(inputs);
  std::vector<double> ms;
  for (int i = 0; i < o.runs; ++i) {
    auto start = std::chrono::steady_clock::now();
    engine.run(inputs);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(ms.begin(), ms.end());
  auto quantile = [&](double q) { return ms[std::min(ms.size() - 1, size_t(q * double(ms.size() - 1) + 0.5))]; };
  double median = ms.size() % 2 ? ms[ms.size() / 2] : (ms[ms.size() / 2 - 1] + ms[ms.size() / 2]) / 2;
  if (o.json) {
    nlohmann::json result = {{"median_ms", median}, {"min_ms", ms.front()}, {"p90_ms", quantile(0.9)},
                             {"runs", o.runs},      {"threads", engine.threads()}};
    std::cout << result.dump() << "\n";
  } else {
    fmt::print("{}: {} runs, {} thread(s): min {:.3f} ms, median {:.3f} ms, p90 {:.3f} ms\n", o.model, o.runs,
               engine.threads(), ms.front(), median, quantile(0.9));
  }
}

}  // namespace

void registerBenchCommand(CLI::App& app) {
  auto o = std::make_shared<BenchOptions>();
  CLI::App* cmd = app.add_subcommand("bench", "Time whole inferences of a model with the JIT engine");
  cmd->add_option("model", o->model, "ONNX model file")->required();
  cmd->add_option("--threads", o->threads, "Threads (0: all cores)")->capture_default_str();
  cmd->add_option("--runs", o->runs, "Timed runs")->capture_default_str();
  cmd->add_option("--warmup", o->warmup, "Untimed runs first")->capture_default_str();
  cmd->add_flag("--json", o->json, "Print {median_ms, min_ms, p90_ms, runs, threads}");
  cmd->add_option("--cpu", o->cpu, "Target CPU: host (default), x86-64-v3 (AVX2), x86-64-v4 (AVX-512), ...");
  cmd->add_option("--input-shape,--shape", o->shapes, "NAME=1x3x224x224: dims of an input with dynamic dims (repeatable)");
  cmd->callback([o] { bench(*o); });
}

}  // namespace convopt::tools
