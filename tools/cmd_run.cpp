// convopt run MODEL: executes a model on given or seeded random inputs,
// prints output statistics, optionally writes the outputs and checks them
// against an ONNX backend-test data set (exit 3 when outside tolerance).
#include <filesystem>
#include <iostream>
#include <set>

#include <fmt/ranges.h>

#include "codegen/engine/jit_engine.h"
#include "ir/atomic_file.h"
#include "ir/error.h"
#include "ir/onnx_io.h"
#include "ir/shape_inference.h"
#include "ir/verifier.h"
#include "runtime/compare.h"
#include "runtime/random_inputs.h"
#include "runtime/reference/interpreter.h"
#include "runtime/tensor_file.h"
#include "tools/commands.h"
#include "tools/plan_printer.h"
#include "tools/winograd_option.h"

namespace convopt::tools {
namespace {

namespace fs = std::filesystem;
constexpr int kExitCheckFailed = 3;

struct RunOptions {
  std::string model;
  std::vector<std::string> inputs;  // NAME=FILE
  std::vector<std::string> shapes;  // NAME=D0,D1,...
  uint64_t seed = 0;
  std::string outputDir;
  std::string checkDir;
  runtime::Tolerance tolerance;
  std::string engine = "jit";  // every shared model passes --check with it
  int threads = 0;
  std::string cpu;
  bool keepDenormals = false;
  WinogradChoice winograd;
  codegen::RingFusionUse ringFusion = codegen::RingFusionUse::Auto;
  bool kernelCache = true;
  bool explain = false;
  bool printAfterAll = false;
};

std::pair<std::string, std::string> splitAssignment(const std::string& text, const char* option) {
  size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0) throwInputError("{} expects NAME=VALUE, got '{}'", option, text);
  return {text.substr(0, eq), text.substr(eq + 1)};
}

std::vector<const ir::Value*> runtimeInputs(const ir::Graph& graph) {
  std::vector<const ir::Value*> inputs;
  for (const ir::Value* v : graph.inputs())
    if (!v->isInitializer()) inputs.push_back(v);
  return inputs;
}

// Inputs from --check DIR (by name when the file's name matches an input,
// else by position) and --input files.
runtime::TensorMap givenInputs(const RunOptions& o, const ir::Graph& graph, const runtime::TestDataSet* data) {
  runtime::TensorMap inputs = data ? runtime::bindInputs(data->inputs, graph, o.checkDir) : runtime::TensorMap{};
  for (const std::string& spec : o.inputs) {
    auto [name, file] = splitAssignment(spec, "--input");
    const ir::Value* v = graph.findValue(name);
    if (!v || !v->isGraphInput()) throwInputError("--input {}: the model has no input '{}'", spec, name);
    inputs[name] = runtime::loadTensorFile(file);
  }
  return inputs;
}

void printStatistics(const std::string& name, const ir::Tensor& t) {
  std::vector<float> v = t.dtype() == ir::DType::String ? std::vector<float>{} : t.toFloatVector();
  double sum = 0;
  float lo = v.empty() ? 0 : v[0], hi = lo;
  for (float x : v) sum += x, lo = std::min(lo, x), hi = std::max(hi, x);
  fmt::print("{}: {}[{}] min {:.6g} max {:.6g} mean {:.6g}\n", name, ir::dtypeName(t.dtype()), fmt::join(t.dims(), ","),
             lo, hi, v.empty() ? 0.0 : sum / double(v.size()));
}

// Before the run: --output-dir must not replace what the run reads: the
// --check data set (its goldens would become the outputs they are checked
// against), the model, an --input file with an output. (An input_N.pb may
// replace the --input file it came from: a data set made in place from its inputs.)
void checkOutputDir(const RunOptions& o, const ir::Graph& graph) {
  ir::checkNotInput(o.outputDir, {o.checkDir});
  std::vector<fs::path> read = {o.model};
  for (const std::string& spec : o.inputs) read.push_back(splitAssignment(spec, "--input").second);
  for (size_t i = 0; i < graph.outputs().size(); ++i)
    ir::checkNotInput(fs::path(o.outputDir) / fmt::format("output_{}.pb", i), read);
}

// Writes input_N.pb and output_N.pb in graph order: an ONNX backend-test data
// set that `run --check` (e.g. with another engine or an optimized model) replays.
void writeTestDataSet(const fs::path& dir, const ir::Graph& graph, const runtime::TensorMap& inputs,
                      const runtime::TensorMap& outputs) {
  std::error_code error;
  fs::create_directories(dir, error);
  if (error) throwInputError("cannot write '{}': {}", dir.string(), error.message());
  auto write = [&](const std::vector<ir::Value*>& values, const runtime::TensorMap& tensors, const char* prefix) {
    size_t index = 0;
    for (const ir::Value* v : values) {
      auto it = tensors.find(v->name());
      if (it == tensors.end()) continue;  // an input that is also an initializer, not overridden
      ir::Tensor t = it->second;
      t.name = v->name();
      runtime::saveTensorFile(t, dir / fmt::format("{}_{}.pb", prefix, index++));
    }
  };
  write(graph.inputs(), inputs, "input");
  write(graph.outputs(), outputs, "output");
}

// Compares outputs in graph order with the data set's output_N.pb.
bool checkOutputs(const RunOptions& o, const ir::Graph& graph, const runtime::TensorMap& outputs,
                  const runtime::TestDataSet& data) {
  if (data.outputs.size() != graph.outputs().size())
    throwInputError("{} has {} outputs, the model produces {}", o.checkDir, data.outputs.size(),
                    graph.outputs().size());
  bool allOk = true;
  for (size_t i = 0; i < data.outputs.size(); ++i) {
    const std::string& name = graph.outputs()[i]->name();
    runtime::Comparison c = runtime::compareTensors(outputs.at(name), data.outputs[i], o.tolerance);
    allOk = allOk && c.ok;
    if (!c.mismatch.empty())
      fmt::print("check {}: FAIL, {}\n", name, c.mismatch);
    else
      fmt::print("check {}: {} max abs error {:.3g}, max rel error {:.3g} ({} elements outside rtol {:g} atol {:g})\n",
                 name, c.ok ? "ok," : "FAIL,", c.maxAbsError, c.maxRelError, c.failures, o.tolerance.rtol,
                 o.tolerance.atol);
  }
  return allOk;
}

// Names the random inputs whose unnamed dynamic dims became 1: an error the
// model raises at those sizes should say how to give the real ones.
std::string defaultedDimsNote(const ir::Graph& graph, const runtime::TensorMap& given) {
  std::string note;
  for (const ir::Value* input : runtimeInputs(graph))
    if (!input->type.hasStaticShape() && !given.count(input->name()))
      note += fmt::format(
          "\n  note: input '{}' has dynamic dims, set to 1 for random data; give them with "
          "--input-shape {}=D0xD1x...",
          input->name(), input->name());
  return note;
}

void run(const RunOptions& o) {
  if (o.engine != "jit" && (o.winograd.tune || o.explain || o.printAfterAll))
    throwInputError("--tune, --explain and --print-after-all are about the JIT engine; not with --engine {}", o.engine);
  ir::Model model = ir::loadModel(o.model);
  ir::verifyGraph(*model.graph);
  for (const std::string& spec : o.shapes) ir::applyInputShape(model, spec);
  std::optional<runtime::TestDataSet> data;
  if (!o.checkDir.empty()) data = runtime::loadTestDataSet(o.checkDir);
  if (!o.outputDir.empty()) checkOutputDir(o, *model.graph);
  runtime::TensorMap inputs = givenInputs(o, *model.graph, data ? &*data : nullptr);
  std::string note = defaultedDimsNote(*model.graph, inputs);
  // Seeded random tensors for the rest; --input-shape specs were applied to the model.
  std::set<std::string> given;
  for (const auto& [name, tensor] : inputs) given.insert(name);
  for (auto& [name, tensor] : runtime::randomInputs(*model.graph, {o.seed, {}, {}, given}))
    inputs.emplace(name, std::move(tensor));
  runtime::TensorMap outputs;
  try {
    if (o.engine == "jit") {
      codegen::EngineOptions options{.cpu = o.cpu, .threads = o.threads, .flushDenormals = !o.keepDenormals};
      options.ringFusion = o.ringFusion;
      options.kernelCache = o.kernelCache;
      applyWinogradChoice(o.winograd, model, codegen::shapesOf(inputs), options);
      options.afterPlanningStep = planPrinter(o.printAfterAll);
      codegen::JitEngine engine(model, codegen::shapesOf(inputs), options);
      outputs = engine.run(inputs);
      if (o.explain) std::cout << engine.explain();  // after the run: bodies compile on first use
    } else {
      outputs = runtime::runReference(model, inputs);
    }
  } catch (const InputError& e) {
    throw InputError(e.what() + note);
  }
  for (const ir::Value* out : model.graph->outputs()) printStatistics(out->name(), outputs.at(out->name()));
  if (!o.outputDir.empty()) writeTestDataSet(o.outputDir, *model.graph, inputs, outputs);
  if (data && !checkOutputs(o, *model.graph, outputs, *data)) throw ExitWith(kExitCheckFailed);
}

}  // namespace

void registerRunCommand(CLI::App& app) {
  auto o = std::make_shared<RunOptions>();
  CLI::App* cmd = app.add_subcommand("run", "Run a model and print (or check) its outputs");
  cmd->add_option("model", o->model, "ONNX model file")->required();
  repeatable(cmd->add_option("--input", o->inputs,
                             "NAME=FILE: input tensor from a TensorProto .pb or a .npy file (repeatable)"));
  repeatable(cmd->add_option(
      "--input-shape,--shape", o->shapes,
      "NAME=1x3x48x192: dims of a random input with dynamic dims (unnamed dynamic dims: 1; repeatable)"));
  cmd->add_option("--seed", o->seed, "Seed of the random inputs for inputs not given otherwise")->capture_default_str();
  cmd->add_option("--output-dir", o->outputDir,
                  "Write inputs and outputs there as input_N.pb / output_N.pb (a test data set for --check)");
  cmd->add_option("--check", o->checkDir,
                  "ONNX test data set folder: read input_N.pb, compare with output_N.pb; exit 3 if outside tolerance");
  cmd->add_option("--rtol", o->tolerance.rtol, "Relative tolerance of --check")->capture_default_str();
  cmd->add_option("--atol", o->tolerance.atol, "Absolute tolerance of --check")->capture_default_str();
  cmd->add_option("--engine", o->engine, "Execution engine")
      ->check(CLI::IsMember({"reference", "jit"}))
      ->capture_default_str();
  cmd->add_option("--threads", o->threads, "JIT engine threads (0: all cores)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--cpu", o->cpu, "JIT target CPU: host (default), x86-64-v3 (AVX2), x86-64-v4 (AVX-512), ...");
  cmd->add_flag("--keep-denormals", o->keepDenormals,
                "Keep IEEE denormal floats in generated kernels (default: flushed to zero, as FMAs on them are slow)");
  cmd->add_flag("--explain", o->explain,
                "JIT: the pre-lowering steps' decisions and rejections, then what each node runs as (kernel, fused, "
                "or reference fallback)");
  cmd->add_flag("--print-after-all", o->printAfterAll, "JIT: print the pre-lowering plan after every step (to stderr)");
  addWinogradOptions(cmd, o->winograd);
  addRingFusionOption(cmd, o->ringFusion);
  addKernelCacheOption(cmd, o->kernelCache);
  cmd->callback([o] { run(*o); });
}

}  // namespace convopt::tools
