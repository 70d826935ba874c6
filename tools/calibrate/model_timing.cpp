#include "tools/calibrate/model_timing.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "codegen/engine/jit_engine.h"
#include "ir/error.h"
#include "ir/onnx_io.h"
#include "runtime/median.h"
#include "runtime/random_inputs.h"

namespace convopt::tools::calibrate {
namespace {

namespace fs = std::filesystem;

std::vector<int64_t> inputDims(const ir::Model& model) {
  const ir::Value* input = model.graph->inputs().at(0);
  if (!input->type.hasStaticShape()) throwInputError("timing needs static input shapes ('{}')", input->name());
  return input->type.staticShape();
}

// A fresh folder under the temp dir, removed with this object.
struct ScratchFolder {
  ScratchFolder() {
    std::string pattern = (fs::temp_directory_path() / "convopt-timing-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throwInputError("cannot create a folder in {}", fs::temp_directory_path().string());
    path = pattern;
  }
  ~ScratchFolder() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
  fs::path path;
};

std::string shellQuoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// What `command` printed on stdout; InputError with `hint` if it failed.
std::string outputOf(const std::string& command, const std::string& hint) {
  std::string text;
  if (FILE* pipe = popen(command.c_str(), "r")) {
    std::array<char, 4096> buffer{};
    while (size_t n = fread(buffer.data(), 1, buffer.size(), pipe)) text.append(buffer.data(), n);
    if (pclose(pipe) == 0) return text;
  }
  throwInputError("onnxruntime timing failed: {}", hint);
}

}  // namespace

std::map<std::string, double> timeOnConvopt(const std::vector<TimedModel>& models, const TimingOptions& options) {
  std::map<std::string, double> result;
  for (const TimedModel& m : models) {
    std::map<std::string, std::vector<int64_t>> shapes = {
        {m.model->graph->inputs().at(0)->name(), inputDims(*m.model)}};
    runtime::TensorMap inputs = runtime::randomInputs(*m.model->graph, {0, shapes, {}});
    codegen::JitEngine engine(*m.model, shapes, {"", options.threads, true, {}});
    for (int i = 0; i < 3; ++i) engine.run(inputs);
    std::vector<double> ms;
    for (int i = 0; i < options.runs; ++i) {
      auto start = std::chrono::steady_clock::now();
      engine.run(inputs);
      ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    }
    result[m.name] = runtime::medianOf(ms);
  }
  return result;
}

std::map<std::string, double> timeOnOnnxruntime(const std::vector<TimedModel>& models, const TimingOptions& options) {
  std::string script = options.ortScript.empty() ? CONVOPT_SOURCE_DIR "/scripts/bench/ort_bench.js" : options.ortScript;
  std::string modules =
      options.nodeModules.empty() ? CONVOPT_SOURCE_DIR "/third_party_npm/node_modules" : options.nodeModules;
  if (!fs::exists(script)) throwInputError("the onnxruntime timing script '{}' does not exist (--ort-script)", script);
  if (!fs::exists(fs::path(modules) / "onnxruntime-node"))
    throwInputError("onnxruntime-node is not installed in '{}' (scripts/install-deps.sh installs it; --node-modules)",
                    modules);
  ScratchFolder folder;
  std::vector<std::string> specs;
  for (const TimedModel& m : models) {
    fs::path file = folder.path / (m.name + ".onnx");
    ir::saveModel(*m.model, file.string());
    specs.push_back(shellQuoted(fmt::format("{}={}={}", m.name, file.string(), fmt::join(inputDims(*m.model), "x"))));
  }
  // One thread: the runs of all models go in rounds (ort_bench.js --interleave),
  // so a drift of the host's speed does not land on one side of a comparison.
  // With more, each session's own thread pool would spin beside the one running.
  std::string command =
      fmt::format("NODE_PATH={} node {} {} {} nodes {} {}", shellQuoted(modules), shellQuoted(script), options.threads,
                  options.runs, options.threads == 1 ? "--interleave" : "", fmt::join(specs, " "));
  std::string printed = outputOf(command, "is node installed? (`node --version`)");
  nlohmann::json json = nlohmann::json::parse(printed, nullptr, false);
  if (!json.is_object()) throwInputError("onnxruntime timing printed no JSON: {}", printed.substr(0, 200));
  std::map<std::string, double> result;
  for (auto& [name, ms] : json.items()) result[name] = ms.get<double>();
  return result;
}

std::map<std::string, double> timeOn(const std::string& runtime, const std::vector<TimedModel>& models,
                                     const TimingOptions& options) {
  if (runtime == "onnxruntime") return timeOnOnnxruntime(models, options);
  if (runtime == "convopt") return timeOnConvopt(models, options);
  throwInputError("no timing for runtime '{}' (convopt, onnxruntime)", runtime);
}

}  // namespace convopt::tools::calibrate
