// What every per-op lowering function receives: the Program being built and
// the services it needs — the plan decided before lowering (pre_lowering.h),
// constants, arena slots in either layout (with the reorders between them),
// kernels added to the module and the reference fallback. The functions themselves (op_lowering.h) are
// free functions, one family per lower_*.cpp; the walk over the graph that
// calls them is engine_lowering.cpp.
#pragma once
#include <functional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "codegen/engine/engine_program.h"
#include "codegen/engine/jit.h"
#include "codegen/lowering/pre_lowering.h"

namespace convopt::codegen {

// Bytes of a value with a static shape, in ONNX layout.
size_t byteSize(const ir::Value* value);

class LoweringContext {
 public:
  LoweringContext(Program& program, KernelModule& module, const Target& target, int64_t opset,
                  const LoweringPlan& plan);

  Program& program() { return program_; }
  const Program& program() const { return program_; }
  llvm::Module& module() { return *module_.module; }
  const Target& target() const { return target_; }
  int vectorWidth() const { return target_.vectorWidth; }
  int64_t opset() const { return opset_; }

  // --- the plan ---
  const FusionPlan& fusion() const { return plan_.fusion; }
  // The planned kernel of a root `node`, nullptr when it has none (refusal() says why).
  template <typename Kernel>
  const Kernel* rootKernel(const ir::Node& node) const {
    auto it = plan_.kernels.find(&node);
    return it == plan_.kernels.end() ? nullptr : std::get_if<Kernel>(&it->second.kernel);
  }
  const FusedEpilogue& epilogueOf(const ir::Node& node) const { return plan_.fusion.epilogues.at(&node); }
  Status refusal(const ir::Node& node) const;

  // --- constants ---
  const ir::Tensor* constantOf(const ir::Value* value) const;  // an initializer or a folded constant
  std::function<const ir::Tensor*(const ir::Value*)> constantLookup() const {
    return [this](const ir::Value* value) { return constantOf(value); };
  }
  int addConstant(std::span<const float> data);  // a packed kernel operand (copied); its index

  // --- arena slots ---
  int newSlot(size_t bytes);
  int newView(int parent, size_t offset, size_t bytes);
  void touch(int slot);                   // a view touches the slot it is part of
  int plainSlot(const ir::Value* value);  // the value in ONNX layout (adds a reorder if needed)
  int fromBlockedSlot(int blocked, const std::vector<int64_t>& nchw, const std::string& label);  // a plain copy
  int blockedSlot(const ir::Value* value);  // the value blocked (adds a reorder if needed)
  int defineBlocked(const ir::Value* value);
  int newBlockedSlot(const ir::Value* value);         // its own, or a view of the Concat it is written into
  int definePlain(const ir::Value* value);            // a kernel's output in ONNX layout
  int concatBuffer(const ir::Value* whole);           // the blocked slot of an in-place Concat's output
  size_t concatOffset(const ir::Value* input) const;  // bytes into it of a placed input

  // --- kernels ---
  std::string kernelName(const std::string& family);  // unique; the family after the first '_'
  // The kernel's output slot, then its residual operands (kernel_abi.h: the buffer order of every generator).
  void appendOutputArgs(std::vector<KernelArg>& args, const ir::Value* output,
                        const std::vector<const ir::Value*>& residuals);
  // `fused`: the nodes the plan computes in this kernel too, for the explanation;
  // `macs`: the multiply-adds it does (convolutions, matrix products), for profiles.
  void addKernel(const std::string& name, int64_t units, std::vector<KernelArg> args, const std::string& what,
                 const ir::Node& node, const std::vector<const ir::Node*>& fused = {}, int64_t macs = 0);
  void fallback(const ir::Node& node, const std::string& reason);

 private:
  Program& program_;
  KernelModule& module_;
  Target target_;
  const LoweringPlan& plan_;
  int kernelCount_ = 0;
  int64_t opset_;
};

}  // namespace convopt::codegen
