// What every per-op lowering function receives: the Program being built and
// the services it needs — constants, arena slots in either layout (with the
// reorders between them), kernels added to the module, the fusion bookkeeping
// and the reference fallback. The functions themselves (op_lowering.h) are
// free functions, one family per lower_*.cpp; the walk over the graph that
// calls them is engine_lowering.cpp.
#pragma once
#include <functional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "codegen/engine/engine_program.h"
#include "codegen/engine/jit.h"
#include "codegen/fusion/concat_in_place.h"
#include "codegen/fusion/scaled_conv_input.h"

namespace convopt::codegen {

// Bytes of a value with a static shape, in ONNX layout.
size_t byteSize(const ir::Value* value);

class LoweringContext {
 public:
  LoweringContext(Program& program, KernelModule& module, const Target& target, int64_t opset);

  Program& program() { return program_; }
  const Program& program() const { return program_; }
  llvm::Module& module() { return *module_.module; }
  const Target& target() const { return target_; }
  int vectorWidth() const { return target_.vectorWidth; }
  int64_t opset() const { return opset_; }

  // --- constants ---
  const ir::Tensor* constantOf(const ir::Value* value) const;  // an initializer or a folded constant
  std::function<const ir::Tensor*(const ir::Value*)> constantLookup() const {
    return [this](const ir::Value* value) { return constantOf(value); };
  }
  int addConstant(std::vector<float> data);  // a packed kernel operand; its index

  // --- arena slots ---
  int newSlot(size_t bytes);
  int newView(int parent, size_t offset, size_t bytes);
  void touch(int slot);                   // a view touches the slot it is part of
  int plainSlot(const ir::Value* value);  // the value in ONNX layout (adds a reorder if needed)
  int fromBlockedSlot(int blocked, const std::vector<int64_t>& nchw, const std::string& label);  // a plain copy
  int blockedSlot(const ir::Value* value);  // the value blocked (adds a reorder if needed)
  int defineBlocked(const ir::Value* value);
  int newBlockedSlot(const ir::Value* value);  // its own, or a view of the Concat it is written into
  int definePlain(const ir::Value* value);     // a kernel's output in ONNX layout
  // In-place Concats (concat_in_place.h) and squeeze-excitation scalings (scaled_conv_input.h), planned once.
  void planGraph(const ir::Graph& graph);
  const std::unordered_map<const ir::Value*, ConcatPlacement>& concatPlacements() const { return concatPlacements_; }
  const std::unordered_map<const ir::Node*, ScaledConvInput>& scaledInputs() const { return scaledInputs_; }
  int concatBuffer(const ir::Value* whole);           // the blocked slot of an in-place Concat's output
  size_t concatOffset(const ir::Value* input) const;  // bytes into it of a placed input

  // --- kernels ---
  std::string kernelName(const std::string& family);  // unique; the family after the first '_'
  // The kernel's output slot, then its residual operands (kernel_abi.h: the buffer order of every generator).
  void appendOutputArgs(std::vector<KernelArg>& args, const ir::Value* output,
                        const std::vector<const ir::Value*>& residuals);
  void addKernel(const std::string& name, int64_t units, std::vector<KernelArg> args, const std::string& what,
                 const ir::Node& node);
  void fallback(const ir::Node& node, const std::string& reason);

  // --- fusion: nodes computed by another node's kernels; the walk skips them ---
  void fuse(const ir::Node& node);         // into the next kernel, which the explanation names
  void markLowered(const ir::Node& node);  // lowered already, by whoever calls this
  bool isFused(const ir::Node& node) const { return fused_.count(&node) > 0; }
  const std::set<const ir::Node*>& fusedNodes() const { return fused_; }
  // The nodes the next kernel is explained with, replaced by `nodes` (a kernel added in between).
  std::vector<const ir::Node*> exchangePendingFused(std::vector<const ir::Node*> nodes);
  // Undoes the fusion since the last kernel (its generator gave up): the followers are lowered on their own.
  void unfuse();

 private:
  Program& program_;
  KernelModule& module_;
  Target target_;
  std::set<const ir::Node*> fused_;
  std::unordered_map<const ir::Value*, ConcatPlacement> concatPlacements_;
  std::unordered_map<const ir::Node*, ScaledConvInput> scaledInputs_;  // by Conv; their Muls are in fused_
  std::vector<const ir::Node*> pendingFused_;  // fused since the last kernel, for the explanation
  int kernelCount_ = 0;
  int64_t opset_;
};

}  // namespace convopt::codegen
