// What the engine executes: a list of steps over arena slots and packed
// constants, produced by the lowering (engine_lowering.h) and run by JitEngine.
#pragma once
#include <climits>
#include <deque>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "codegen/builder/kernel_abi.h"
#include "codegen/engine/jit_engine.h"
#include "ir/graph.h"
#include "passes/pass.h"
#include "runtime/aligned_floats.h"
#include "runtime/blocked_layout.h"

namespace convopt::codegen {

struct KernelArg {
  enum class Kind { Slot, Constant } kind;
  int index;
};

struct Step {
  enum class Kind { Kernel, ToBlocked, FromBlocked, Fallback } kind = Kind::Kernel;
  // For profiles: what runs (kernel family, "reorder ...", "fallback <op>") and for what
  // (the node's label, or the reordered value's name).
  std::string category, label;
  // Kernel
  std::string kernelName;
  KernelFunction function = nullptr;
  int64_t units = 0;
  std::vector<KernelArg> args;
  // For profiles: multiply-adds done (convolutions, matrix products; else 0) and
  // bytes of the buffers read and written, each counted once.
  int64_t macs = 0, bytes = 0;
  // A step of a conv that may run in the Winograd domain: its layer key
  // (conv/conv_spec.h: convLayerKey), by which tuning sums its steps' times.
  std::string winogradKey;
  // A Conv node's direct kernel with variants in play (conv_emitter.h:
  // emitConvKernel's answer): its layer key and those variants, which tuning times.
  std::string convKey;
  std::vector<ConvVariant> convVariants;
  // Reorders: slot to slot
  runtime::BlockedShape shape{};
  int from = -1, to = -1;
  // Fallback
  const ir::Node* node = nullptr;
};

struct Slot {
  size_t bytes = 0;
  int first = INT_MAX, last = -1;  // steps touching it
  size_t offset = 0;               // in the arena, once planned
  // A view is a range of an earlier slot (a Concat input written in place,
  // concat_in_place.h): it has no memory or lifetime of its own.
  int parent = -1;
  size_t parentOffset = 0;  // bytes
};

// Where a value lives at run time. A value may have both a plain (ONNX layout)
// and a blocked copy; constants and dynamically shaped values live outside the arena.
struct Storage {
  int plain = -1;
  int blocked = -1;
  const ir::Tensor* constant = nullptr;
  bool dynamic = false;  // shape unknown before running: kept as a Tensor per run
};

struct Program {
  int vectorWidth = 8;
  int64_t opset = 0;               // of the default domain, for the reference fallbacks
  std::string kernelPrefix = "k";  // its kernels are named PREFIX<n>_<family>
  std::vector<Step> steps;
  std::vector<Slot> slots;
  std::vector<runtime::AlignedFloats> constants;  // packed kernel operands
  std::deque<ir::Tensor> foldedConstants;         // Constant nodes and folded subgraphs
  std::unordered_map<const ir::Value*, Storage> storage;
  std::vector<std::string> explanation;
  std::vector<passes::PassStatistics> preLowering;  // one per pre-lowering step (lowering/pre_lowering.h)
  std::vector<FallbackNode> fallbacks;
  std::multimap<std::string, std::string> kernelsByNode;  // node name and label -> kernel names

  // The value as a constant (an initializer or a folded Constant), else nullptr.
  const ir::Tensor* constantOf(const ir::Value* value) const {
    if (!value) return nullptr;
    if (value->initializer()) return value->initializer();
    auto it = storage.find(value);
    return it == storage.end() ? nullptr : it->second.constant;
  }
};

}  // namespace convopt::codegen
