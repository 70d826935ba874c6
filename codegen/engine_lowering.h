// Lowers a shape-inferred graph to a Program: folds constants, turns each
// supported node (plus the activations / residual Adds fused into it) into a
// generated kernel emitted into one module, inserts layout reorders where a
// blocked value meets a plain one, and falls back to the reference
// interpreter for everything else. Handlers per op live in lower_*.cpp.
#pragma once
#include <functional>
#include <optional>
#include <set>
#include <string>

#include "codegen/engine_program.h"
#include "codegen/epilogue.h"
#include "codegen/jit.h"

namespace convopt::codegen {

class Lowering {
 public:
  Lowering(Program& program, KernelModule& module, const Target& target, int64_t opset);
  void lower(const ir::Graph& graph);

  // --- for the op handlers ---
  // Returns "" when the node was lowered to kernels, else why not.
  using Handler = std::string (Lowering::*)(const ir::Node&);
  std::string lowerConv(const ir::Node& node);
  std::string lowerActivation(const ir::Node& node);
  std::string lowerBinary(const ir::Node& node);
  std::string lowerBatchNorm(const ir::Node& node);
  std::string lowerPool(const ir::Node& node);
  std::string lowerConcat(const ir::Node& node);
  std::string lowerSplit(const ir::Node& node);
  std::string lowerResize(const ir::Node& node);
  std::string lowerConvTranspose(const ir::Node& node);

 private:
  int vectorWidth() const { return target_.vectorWidth; }
  const ir::Tensor* constantOf(const ir::Value* value) const;
  void fallback(const ir::Node& node, const std::string& reason);
  int newSlot(size_t bytes);
  void touch(int slot);
  int plainSlot(const ir::Value* value);    // the value in ONNX layout (adds a reorder if needed)
  int blockedSlot(const ir::Value* value);  // the value blocked (adds a reorder if needed)
  int defineBlocked(const ir::Value* value);
  int addConstant(std::vector<float> data);
  // The kernel's output slot, then its residual operands (the buffer order of every generator).
  void appendOutputArgs(std::vector<KernelArg>& args, const ir::Value* output,
                        const std::vector<const ir::Value*>& residuals);
  std::string kernelName(const std::string& family);  // unique; the family after the first '_'
  void addKernel(const std::string& name, int64_t units, std::vector<KernelArg> args, const std::string& what,
                 const ir::Node& node);

  // Fusion of the nodes that follow a kernel's `output` into its epilogue: returns
  // the value the kernel finally writes; appends steps and residual operands.
  const ir::Value* fuseEpilogue(const ir::Value* output, Epilogue& epilogue,
                                std::vector<const ir::Value*>& residuals);
  std::optional<EpilogueStep> activationStep(const ir::Node& node) const;
  // Folding of constant per-channel followers of a linear kernel's `output` (bias
  // Add/Sub, Mul/Div, BatchNormalization) into `affine`: returns the value the
  // kernel then computes (before fuseEpilogue).
  const ir::Value* absorbChannelAffine(const ir::Value* output, ChannelAffine& affine);
  // Undoes the fusion since the last kernel (its generator gave up): the followers are lowered on their own.
  void unfuse();

  Program& program_;
  KernelModule& module_;
  Target target_;
  std::set<const ir::Node*> fused_;
  std::vector<const ir::Node*> pendingFused_;  // fused since the last kernel, for explain()
  int kernelCount_ = 0;
  int64_t opset_;
};

// A 4-D float value with a static shape: what generated kernels accept.
bool isStatic4dFloat(const ir::Value* value);

}  // namespace convopt::codegen
