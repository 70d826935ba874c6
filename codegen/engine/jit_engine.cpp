#include "codegen/engine/jit_engine.h"

#include <mutex>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <chrono>
#include <cstring>
#include <exception>
#include <set>

#include <llvm/IR/Module.h>

#include "codegen/engine/body_engines.h"
#include "codegen/engine/jit.h"
#include "codegen/engine/lowered_model.h"
#include "ir/error.h"
#include "ir/int_math.h"
#include "ir/memory_limit.h"
#include "ir/printer.h"
#include "runtime/denormals.h"
#include "runtime/thread_choice.h"
#include "runtime/thread_pool.h"

namespace convopt::codegen {
namespace {

// memcpy of a tensor's bytes: an empty tensor has no buffer (a null pointer), which memcpy must not see.
void copyBytes(void* to, const void* from, size_t bytes) {
  if (bytes) std::memcpy(to, from, bytes);
}

// Work units of a step as profiles and traces count them.
int64_t profileUnits(const Step& step) {
  switch (step.kind) {
    case Step::Kind::Kernel:
      return step.units;
    case Step::Kind::Fallback:
      return 1;
    case Step::Kind::ToBlocked:
    case Step::Kind::FromBlocked:
      return step.shape.planes();
  }
  return 0;
}

}  // namespace

struct JitEngine::Impl {
  explicit Impl(const EngineOptions& options)
      : options(options),
        pool(std::make_unique<runtime::ThreadPool>(options.threads)),
        flushDenormals(options.flushDenormals) {
    convopt_thread_choice_init(&threadChoice);
  }
  EngineOptions options;
  ir::Model model;
  std::unique_ptr<BodyEngines> bodies;  // the control-flow nodes' bodies, compiled on first use
  Program program;
  std::unique_ptr<Jit> jit;
  std::string kernelOrigin;  // explain(): compiled or loaded, and where they are kept
  std::unique_ptr<runtime::ThreadPool> pool;
  bool flushDenormals;
  size_t arenaBytes = 0;
  runtime::AlignedFloats arenaStorage;  // slot offsets are kArenaAlignment multiples
  std::byte* arena = nullptr;
  std::mutex runs;  // one run at a time: runs share the arena and the pool
  bool profiling = false;
  std::vector<double> stepMs;  // per step, summed over profiledRuns
  int profiledRuns = 0;
  convopt_thread_choice threadChoice;  // whether a run uses every thread (runtime/thread_choice.h)
  bool allThreads = true;              // this run's choice
  ThreadRuns threadRuns;

  // The pool's parallelFor, or the whole range on the caller when this run uses one thread.
  void forUnits(int64_t units, const std::function<void(int64_t, int64_t)>& body) {
    if (allThreads)
      pool->parallelFor(units, body);
    else
      pool->runOnCaller(units, body);
  }
  // Tracing (setTracing): the spans of the traced runs, times from traceOrigin.
  bool tracing = false;
  int tracedRuns = 0;
  std::chrono::steady_clock::time_point traceOrigin;
  std::vector<TraceSpan> traceSpans;
  double traceUs(std::chrono::steady_clock::time_point t) const {
    return std::chrono::duration<double, std::micro>(t - traceOrigin).count();
  }
  void traceStep(int index, int64_t units, std::chrono::steady_clock::time_point start);
  void runStep(const Step& step, std::map<const ir::Value*, ir::Tensor>& dynamic);
  void runSteps(std::map<const ir::Value*, ir::Tensor>& dynamic);
  std::vector<float*> buffers;  // a kernel step's arguments
  bool adapting() const { return options.adaptThreads && pool->threads() > 1; }

  void compile(const ir::Model& source, const std::map<std::string, std::vector<int64_t>>& shapes, const Target& target,
               const PlanningObserver& afterPlanningStep);
  runtime::TensorMap run(const runtime::TensorMap& inputs);
  void makeBodyEngines() {
    EngineOptions bodyOptions = options;
    bodyOptions.afterPlanningStep = {};
    bodies = std::make_unique<BodyEngines>(model, bodyOptions);
  }
  void* slotAddress(int slot) { return arena + program.slots[slot].offset; }
  void runFallback(const Step& step, std::map<const ir::Value*, ir::Tensor>& dynamic);
  ir::Tensor tensorOf(const ir::Value* value, std::map<const ir::Value*, ir::Tensor>& dynamic);
};

namespace {

// Compiles the kernels into `jit`, or loads them from the kernel cache; returns
// explain()'s line on where they came from.
std::string addKernels(Jit& jit, KernelModule kernels, int threads, bool useCache) {
  std::string whyNoCache = "the kernel cache is off (--no-kernel-cache, kernel_cache=False)";
  std::optional<ObjectCache> cache = useCache ? ObjectCache::standard(&whyNoCache) : std::nullopt;
  switch (jit.add(std::move(kernels), threads, cache ? &*cache : nullptr)) {
    case Jit::Origin::Loaded:
      return fmt::format("loaded from the kernel cache ({})", cache->folder().string());
    case Jit::Origin::CompiledAndKept:
      return fmt::format("compiled, kept in the kernel cache ({})", cache->folder().string());
    case Jit::Origin::Compiled:
      break;
  }
  if (!cache) return "compiled; not kept: " + whyNoCache;
  return fmt::format(
      "compiled; not kept: the kernel cache ({}) did not take them (a full or read-only folder, or "
      "more than half its capacity)",
      cache->folder().string());
}

}  // namespace

void JitEngine::Impl::compile(const ir::Model& source, const std::map<std::string, std::vector<int64_t>>& shapes,
                              const Target& target, const PlanningObserver& afterPlanningStep) {
  LoweredModel lowered = lowerModel(source, shapes, target, afterPlanningStep);
  model = std::move(lowered.model);
  program = std::move(lowered.program);
  jit = std::make_unique<Jit>(target);
  kernelOrigin = addKernels(*jit, std::move(lowered.module), pool->threads(), options.kernelCache);
  for (Step& step : program.steps)
    if (step.kind == Step::Kind::Kernel) step.function = jit->lookup(step.kernelName);
  makeBodyEngines();
  arenaBytes = lowered.arenaBytes;
  ir::checkAllocation(arenaBytes, "the compiled model's arena (its intermediate tensors live at once)");
  arenaStorage.assign(size_t(ceilDiv(int64_t(arenaBytes), int64_t(sizeof(float)))), 0.0f);
  arena = reinterpret_cast<std::byte*>(arenaStorage.data());
}

ir::Tensor JitEngine::Impl::tensorOf(const ir::Value* value, std::map<const ir::Value*, ir::Tensor>& dynamic) {
  const Storage& storage = program.storage.at(value);
  if (storage.constant) return *storage.constant;
  if (storage.dynamic) return dynamic.at(value);
  ir::Tensor tensor(value->type.dtype, value->type.staticShape());
  copyBytes(tensor.mutableBytes().data(), slotAddress(storage.plain), tensor.byteSize());
  return tensor;
}

void JitEngine::Impl::runFallback(const Step& step, std::map<const ir::Value*, ir::Tensor>& dynamic) {
  // Tensors of the node's inputs and of the outer values its subgraphs read.
  const ir::Node& node = *step.node;
  std::vector<ir::Tensor> copies;
  copies.reserve(node.inputs().size() + node.implicitInputs().size());
  auto tensorFor = [&](const ir::Value* value) -> const ir::Tensor* {
    if (!value) return nullptr;
    if (value->initializer()) return value->initializer();
    copies.push_back(tensorOf(value, dynamic));
    return &copies.back();
  };
  std::vector<const ir::Tensor*> inputs, implicitInputs;
  for (const ir::Value* input : node.inputs()) inputs.push_back(tensorFor(input));
  for (const ir::Value* input : node.implicitInputs()) implicitInputs.push_back(tensorFor(input));
  // Control flow runs its bodies compiled (body_engines.h).
  std::vector<ir::Tensor> outputs =
      runtime::runNodeReference(node, inputs, program.opset, implicitInputs, &bodies->runner());
  for (size_t i = 0; i < outputs.size() && i < step.node->outputs().size(); ++i) {
    const ir::Value* value = step.node->output(i);
    if (!value) continue;  // an optional output the model does not take
    const Storage& storage = program.storage.at(value);
    if (storage.dynamic) {
      dynamic[value] = std::move(outputs[i]);
      continue;
    }
    // A shape known only at run time (an If whose branches differ) against the declared one.
    if (outputs[i].byteSize() != program.slots[storage.plain].bytes)
      throwInputError("node {}: computes {} [{}] for '{}', which the model declares {}", step.node->label(),
                      ir::dtypeName(outputs[i].dtype()), fmt::join(outputs[i].dims(), ","), value->name(),
                      ir::typeText(value->type));
    copyBytes(slotAddress(storage.plain), outputs[i].bytes().data(), outputs[i].byteSize());
  }
}

void JitEngine::Impl::traceStep(int index, int64_t units, std::chrono::steady_clock::time_point start) {
  traceSpans.push_back({tracedRuns, index, -1, 0, units, traceUs(start), traceUs(std::chrono::steady_clock::now()),
                        allThreads ? pool->threads() : 1});
  for (const runtime::ThreadPool::ChunkSpan& chunk : pool->takeChunkSpans())
    traceSpans.push_back(
        {tracedRuns, index, chunk.thread, chunk.begin, chunk.end, traceUs(chunk.start), traceUs(chunk.stop), 1});
}

void JitEngine::Impl::runStep(const Step& step, std::map<const ir::Value*, ir::Tensor>& dynamic) {
  switch (step.kind) {
    case Step::Kind::Kernel: {
      buffers.clear();
      for (const KernelArg& arg : step.args)
        buffers.push_back(arg.kind == KernelArg::Kind::Slot ? static_cast<float*>(slotAddress(arg.index))
                                                            : program.constants[arg.index].data());
      KernelFunction function = step.function;
      float* const* args = buffers.data();
      forUnits(step.units, [&](int64_t begin, int64_t end) {
        runtime::DenormalsAreZero mode(flushDenormals);
        function(args, begin, end);
      });
      break;
    }
    case Step::Kind::ToBlocked:
    case Step::Kind::FromBlocked: {
      auto* from = static_cast<float*>(slotAddress(step.from));
      auto* to = static_cast<float*>(slotAddress(step.to));
      bool blocking = step.kind == Step::Kind::ToBlocked;
      forUnits(step.shape.planes(), [&](int64_t begin, int64_t end) {
        if (blocking)
          runtime::toBlocked(from, to, step.shape, begin, end);
        else
          runtime::fromBlocked(from, to, step.shape, begin, end);
      });
      break;
    }
    case Step::Kind::Fallback:
      if (tracing)  // the caller's one chunk, in the timeline
        pool->runOnCaller(1, [&](int64_t, int64_t) { runFallback(step, dynamic); });
      else
        runFallback(step, dynamic);
      break;
  }
}

void JitEngine::Impl::runSteps(std::map<const ir::Value*, ir::Tensor>& dynamic) {
  size_t traced = traceSpans.size();
  try {
    for (size_t index = 0; index < program.steps.size(); ++index) {
      const Step& step = program.steps[index];
      auto start = profiling || tracing ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point();
      runStep(step, dynamic);
      if (profiling)
        stepMs[index] += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
      if (tracing) traceStep(int(index), profileUnits(step), start);
    }
  } catch (...) {  // a failed run leaves no spans
    traceSpans.resize(traced);
    pool->takeChunkSpans();
    throw;
  }
}

runtime::TensorMap JitEngine::Impl::run(const runtime::TensorMap& inputs) {
  for (const auto& [name, tensor] : inputs) {
    const ir::Value* value = model.graph->findValue(name);
    if (value && value->isInitializer())
      throwInputError("'{}' is an initializer, which the engine compiles as a constant: it cannot be fed{}", name,
                      value->isConstant() ? "" : " (the reference engine takes an override of an initializer input)");
  }
  std::map<const ir::Value*, ir::Tensor> dynamic;
  for (const ir::Value* input : model.graph->inputs()) {
    if (input->isInitializer()) continue;
    auto it = inputs.find(input->name());
    if (it == inputs.end()) throwInputError("missing input '{}'", input->name());
    const Storage& storage = program.storage.at(input);
    if (storage.dynamic) {
      dynamic[input] = it->second;
      continue;
    }
    if (it->second.dims() != input->type.staticShape() || it->second.dtype() != input->type.dtype)
      throwInputError("input '{}' is {} [{}]; the engine was compiled for {}", input->name(),
                      ir::dtypeName(it->second.dtype()), fmt::join(it->second.dims(), ","), ir::typeText(input->type));
    copyBytes(slotAddress(storage.plain), it->second.bytes().data(), it->second.byteSize());
  }
  // Profiled and traced runs keep the current choice, so that they show one configuration.
  allThreads = !adapting() || (profiling || tracing ? threadChoice.use_all : convopt_thread_choice_next(&threadChoice));
  if (allThreads) pool->followCaller();
  auto runStart = std::chrono::steady_clock::now();
  runSteps(dynamic);
  profiledRuns += profiling;
  tracedRuns += tracing;
  if (adapting() && !profiling && !tracing)
    convopt_thread_choice_record(&threadChoice, allThreads,
                                 std::chrono::duration<double>(std::chrono::steady_clock::now() - runStart).count());
  ++(allThreads ? threadRuns.allThreads : threadRuns.oneThread);
  runtime::TensorMap outputs;
  for (const ir::Value* output : model.graph->outputs()) {
    ir::Tensor tensor = output->initializer() ? *output->initializer() : tensorOf(output, dynamic);
    tensor.name = output->name();
    outputs[output->name()] = std::move(tensor);
  }
  return outputs;
}

// The target `options` name, with the user's Winograd and ring fusion choices.
static Target targetOf(const EngineOptions& options) {
  Target target = selectTarget(options.cpu, options.triple);
  target.winograd = options.winograd;
  target.measuredWinogradTiles = options.measuredWinogradTiles;
  target.measuredConvVariants = options.measuredConvVariants;
  target.ringFusion = options.ringFusion;
  return target;
}

JitEngine::JitEngine(const ir::Model& model, const std::map<std::string, std::vector<int64_t>>& inputShapes,
                     const EngineOptions& options)
    : impl_(std::make_unique<Impl>(options)) {
  Target target = targetOf(options);
  if (!hostCanRun(target))
    throwInputError(
        "--cpu {}: this host cannot run code for that CPU (it lacks some of its instruction set, or it is "
        "another architecture: {}); `convopt compile` can still generate code for it",
        options.cpu, target.triple);
  impl_->compile(model, inputShapes, target, options.afterPlanningStep);
}

JitEngine::~JitEngine() = default;

runtime::TensorMap JitEngine::run(const runtime::TensorMap& inputs) {
  std::lock_guard lock(impl_->runs);
  return impl_->run(inputs);
}

std::string JitEngine::explain() const {
  std::string text = explainLowering(impl_->program);
  text += impl_->bodies->explain();
  text += fmt::format("{} fallback node(s); arena {:.2f} MiB; {} thread(s)\nkernels: {}\n",
                      impl_->program.fallbacks.size(), impl_->arenaBytes / 1048576.0, threads(), impl_->kernelOrigin);
  return text;
}

std::vector<FallbackNode> JitEngine::fallbackNodes() const { return impl_->program.fallbacks; }
size_t JitEngine::arenaBytes() const { return impl_->arenaBytes; }
void JitEngine::setProfiling(bool on) {
  std::lock_guard lock(impl_->runs);
  impl_->profiling = on;
  impl_->stepMs.assign(impl_->program.steps.size(), 0.0);
  impl_->profiledRuns = 0;
}

void JitEngine::setTracing(bool on) {
  std::lock_guard lock(impl_->runs);
  impl_->tracing = on;
  impl_->pool->setTracing(on);
  impl_->tracedRuns = 0;
  impl_->traceSpans.clear();
  impl_->traceOrigin = std::chrono::steady_clock::now();
}

std::vector<TraceSpan> JitEngine::trace() const {
  std::lock_guard lock(impl_->runs);
  return impl_->traceSpans;
}

std::vector<StepProfile> JitEngine::profile() const {
  std::vector<StepProfile> result;
  for (size_t i = 0; i < impl_->program.steps.size(); ++i) {
    const Step& step = impl_->program.steps[i];
    double total = i < impl_->stepMs.size() ? impl_->stepMs[i] : 0.0;  // empty before setProfiling
    result.push_back({step.category, step.label, impl_->profiledRuns ? total / impl_->profiledRuns : 0.0,
                      profileUnits(step), step.macs, step.bytes, step.winogradKey, step.convKey, step.convVariants});
  }
  return result;
}

int JitEngine::threads() const { return impl_->pool->threads(); }
std::vector<int> JitEngine::workerCpus() const {
  std::lock_guard lock(impl_->runs);
  return impl_->pool->workerCpus();
}
JitEngine::ThreadRuns JitEngine::threadRuns() const {
  std::lock_guard lock(impl_->runs);
  return impl_->threadRuns;
}
void JitEngine::setThreads(int threads) {
  std::lock_guard lock(impl_->runs);
  impl_->pool.reset();         // first: its workers' CPUs are free for the new pool's
  std::exception_ptr failure;  // the system would not start the threads: the engine goes on at 1
  try {
    impl_->pool = std::make_unique<runtime::ThreadPool>(threads);
  } catch (...) {
    failure = std::current_exception();
    threads = 1;
    impl_->pool = std::make_unique<runtime::ThreadPool>(threads);
  }
  impl_->pool->setTracing(impl_->tracing);
  impl_->options.threads = threads;
  convopt_thread_choice_init(&impl_->threadChoice);
  impl_->threadRuns = {};
  impl_->tracedRuns = 0;  // the spans so far name the old pool's threads
  impl_->traceSpans.clear();
  impl_->makeBodyEngines();  // recompiled on first use with the new pool size
  if (failure) std::rethrow_exception(failure);
}

std::string emitKernels(const ir::Model& source, const std::map<std::string, std::vector<int64_t>>& shapes,
                        const EngineOptions& options, const std::string& node, bool assembly) {
  Target target = targetOf(options);
  LoweredModel lowered = lowerModel(source, shapes, target, options.afterPlanningStep);
  Program& program = lowered.program;
  KernelModule& module = lowered.module;
  if (!node.empty()) {
    auto [first, last] = program.kernelsByNode.equal_range(node);
    if (first == last) throwInputError("--node {}: no generated kernel for a node of that name", node);
    std::set<std::string> keep;
    for (auto it = first; it != last; ++it) keep.insert(it->second);
    std::vector<llvm::Function*> drop;
    for (llvm::Function& function : *module.module)
      if (!function.isDeclaration() && !keep.count(function.getName().str())) drop.push_back(&function);
    for (llvm::Function* function : drop) function->eraseFromParent();
  }
  optimizeModuleInParts(module, target, 0);  // as an artifact holds them (with --node: parts of those alone)
  return assembly ? emitMachineCode(*module.module, target, MachineCode::Assembly) : moduleText(*module.module);
}

std::map<std::string, std::vector<int64_t>> shapesOf(const runtime::TensorMap& inputs) {
  std::map<std::string, std::vector<int64_t>> shapes;
  for (const auto& [name, tensor] : inputs) shapes[name] = tensor.dims();
  return shapes;
}

}  // namespace convopt::codegen
