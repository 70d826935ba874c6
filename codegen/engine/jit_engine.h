// The compiled engine: a whole model specialised to its input shapes, every
// supported node run as a generated kernel (blocked layout inside, reorders at
// the boundaries), the others through the reference interpreter node by node.
// No LLVM types here: runtime users include this header only.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "codegen/engine/target.h"
#include "ir/graph.h"
#include "runtime/reference/interpreter.h"

namespace convopt::codegen {

struct FallbackNode {
  std::string opType, label, reason;
  int outputRank = -1;  // of its first output, -1 if unknown
};

// Time spent in one step of the compiled program, averaged over the profiled runs.
struct StepProfile {
  std::string category;  // kernel family ("pointwise", "elementwise", ...), "reorder ...", "fallback <op>"
  std::string label;     // the node, or the reordered value
  double ms = 0;
  int64_t units = 1;        // work units the step's range is split into across threads
  int64_t macs = 0;         // multiply-adds per run (convolutions, matrix products; else 0)
  int64_t bytes = 0;        // of the buffers it reads and writes, each counted once
  std::string winogradKey;  // Step::winogradKey
  std::string convKey;      // Step::convKey
  std::vector<ConvVariant> convVariants;
};

// A span of a traced run (JitEngine::setTracing): a step, run by the calling
// thread, or a chunk of a step's work units, run by one of the engine's threads.
struct TraceSpan {
  int run = 0;                         // traced run, from 0
  int step = 0;                        // in program order (profile()'s index)
  int thread = -1;                     // -1: the step as a whole; else the thread that ran the chunk (0: the caller)
  int64_t beginUnit = 0, endUnit = 0;  // the chunk's work units (the step's: all of them)
  double startUs = 0, endUs = 0;       // from setTracing(true)
  int threads = 1;                     // the step's: threads its run used (1 when the thread choice ran it on one)
};

// Sees the pre-lowering plan after each of its steps (`--print-after-all`):
// the step's name and its decisions so far, one line each.
using PlanningObserver = std::function<void(std::string_view step, const std::string& decisions)>;

struct EngineOptions {
  std::string cpu;  // "" / "host", or an LLVM CPU name such as x86-64-v3
  int threads = 0;  // 0: one per hardware thread
  // Generated kernels run with denormals as zero (runtime/denormals.h); false
  // keeps IEEE denormals, at the cost of slow FMAs on them (Intel cores).
  bool flushDenormals = true;
  // With more than one thread, time the runs and run on one thread while that is
  // measured faster (runtime/thread_choice.h: where cores are far apart, a small
  // model runs slower on two); false always uses every thread.
  bool adaptThreads = true;
  // 3x3 convs in the Winograd domain where its estimate says it pays (conv/winograd.h).
  WinogradUse winograd = WinogradUse::Auto;
  // Auto: the tiles measured per layer (Target::measuredWinogradTiles;
  // measured_choices.h fills them from the tuning cache and the target CPU
  // family's table for the CLI and Python).
  std::map<std::string, int> measuredWinogradTiles = {};
  // The direct conv variants measured per layer (Target::measuredConvVariants; the same sources).
  std::map<std::string, ConvVariant> measuredConvVariants = {};
  // A conv whose output only the next conv reads is computed row by row inside
  // that conv's kernel where it pays (conv/conv_ring_fusion.h); Never: no conv is.
  RingFusionUse ringFusion = RingFusionUse::Auto;
  PlanningObserver afterPlanningStep = {};
  // "" for the host's; another (an LLVM triple such as aarch64-linux-gnu) only
  // for emitKernels: an engine runs on the host.
  std::string triple = {};
  // Objects compiled before for the same kernels are read from the user's
  // cache folder, and those compiled here kept there (engine/object_cache.h);
  // false neither reads nor writes it.
  bool kernelCache = true;
};

class JitEngine {
 public:
  // Compiles `model` for `inputShapes` (by graph input name; inputs not listed
  // keep their declared static shapes). Throws InputError for bad models.
  JitEngine(const ir::Model& model, const std::map<std::string, std::vector<int64_t>>& inputShapes,
            const EngineOptions& options);
  ~JitEngine();

  // Inputs by name (every non-initializer graph input); returns every graph output.
  // Safe to call from several threads at once: the runs take turns (they share
  // the engine's arena and thread pool); for runs in parallel, make one engine per thread.
  // Initializers are compiled as constants: feeding one, even an overridable
  // initializer input of an IR >= 4 model, is an InputError.
  runtime::TensorMap run(const runtime::TensorMap& inputs);
  // The pre-lowering steps' statistics and rejections, then one line per node:
  // the kernel it runs as, what it was fused into, or why it falls back.
  std::string explain() const;
  std::vector<FallbackNode> fallbackNodes() const;
  size_t arenaBytes() const;
  int threads() const;
  // 0: one per hardware thread. If the pool cannot start (InputError: the system will not start the
  // threads), throws and runs at 1 thread.
  void setThreads(int threads);
  // The CPU each worker thread is pinned to; empty when the kernel places them
  // (runtime/thread_placement.h says when).
  std::vector<int> workerCpus() const;
  // How many runs so far used one thread (adaptThreads found it faster, or was
  // timing it) and how many used every thread.
  struct ThreadRuns {
    uint64_t oneThread = 0, allThreads = 0;
  };
  ThreadRuns threadRuns() const;
  // Profiling times every step of the following runs (a clock read per step);
  // profile() returns each step's mean time, in program order.
  void setProfiling(bool on);
  std::vector<StepProfile> profile() const;
  // Tracing records when each step ran and which thread ran which of its work
  // units (two clock reads per chunk) in the following runs; trace() returns
  // them. Either call discards what was recorded. Traced runs keep the thread
  // choice as it stands (adaptThreads). A control-flow node's bodies run on
  // their own engines: one chunk of the caller here.
  void setTracing(bool on);
  std::vector<TraceSpan> trace() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// The optimised LLVM IR (or assembly) of the kernels generated for `model`, or
// only of those of node `node` (its name or label) when not empty.
std::string emitKernels(const ir::Model& model, const std::map<std::string, std::vector<int64_t>>& inputShapes,
                        const EngineOptions& options, const std::string& node, bool assembly);

// Shapes of `inputs`, for the constructor.
std::map<std::string, std::vector<int64_t>> shapesOf(const runtime::TensorMap& inputs);

}  // namespace convopt::codegen
