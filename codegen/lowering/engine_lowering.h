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

#include "codegen/fusion/concat_in_place.h"
#include "codegen/engine/engine_program.h"
#include "codegen/fusion/scaled_conv_input.h"
#include "codegen/builder/epilogue.h"
#include "codegen/engine/jit.h"
#include "ir/status.h"

namespace convopt::codegen {

struct ChannelGather;
struct ConvSpec;
struct ChannelGatherMatch;
struct ElementwiseContext;
struct ElementwiseProgramBuilder;
struct MatrixProduct;  // lower_matmul.cpp
struct StridedCopySpec;

class Lowering {
 public:
  Lowering(Program& program, KernelModule& module, const Target& target, int64_t opset);
  void lower(const ir::Graph& graph);

  // --- for the op handlers ---
  // Success when the node was lowered to kernels, else why not (it falls back).
  using Handler = Status (Lowering::*)(const ir::Node&);
  Status lowerConv(const ir::Node& node);
  Status lowerElementwise(const ir::Node& node);  // the group grown from the node: codegen/elementwise_group.h
  Status lowerPool(const ir::Node& node);
  Status lowerChannelGather(const ir::Node& node);  // Concat, Split, Slice, channel shuffles
  Status lowerReshape(const ir::Node& node);        // Reshape, Flatten, Squeeze, Unsqueeze
  Status lowerMatMul(const ir::Node& node);
  Status lowerGemm(const ir::Node& node);
  Status lowerSoftmax(const ir::Node& node);
  Status lowerResize(const ir::Node& node);
  Status lowerConvTranspose(const ir::Node& node);
  Status lowerTranspose(const ir::Node& node);  // plain strided copies: lower_strided_copy.cpp
  Status lowerSlice(const ir::Node& node);      // a channel gather, else a plain strided copy
  Status lowerReduce(const ir::Node& node);     // ReduceMean/Sum/Max/Min: lower_reduce.cpp

 private:
  int vectorWidth() const { return target_.vectorWidth; }
  const ir::Tensor* constantOf(const ir::Value* value) const;
  void fallback(const ir::Node& node, const std::string& reason);
  int newSlot(size_t bytes);
  int newView(int parent, size_t offset, size_t bytes);
  void touch(int slot);  // a view touches the slot it is part of
  int plainSlot(const ir::Value* value);    // the value in ONNX layout (adds a reorder if needed)
  int fromBlockedSlot(int blocked, const std::vector<int64_t>& nchw, const std::string& label);  // a plain copy
  int blockedSlot(const ir::Value* value);  // the value blocked (adds a reorder if needed)
  int defineBlocked(const ir::Value* value);
  int newBlockedSlot(const ir::Value* value);  // its own, or a view of the Concat it is written into
  int concatBuffer(const ir::Value* whole);     // the blocked slot of an in-place Concat's output
  size_t concatOffset(const ir::Value* input) const;  // bytes into it of a placed input
  int definePlain(const ir::Value* value);  // a kernel's output in ONNX layout
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
  Status lowerMatrixProduct(const ir::Node& node, MatrixProduct& product);
  int scaledWeights(const ir::Node& conv, const ConvSpec& spec, int packedWeights);  // lower_conv.cpp
  // Undoes the fusion since the last kernel (its generator gave up): the followers are lowered on their own.
  void unfuse();

  Status lowerStridedCopy(const ir::Node& node, const StridedCopySpec& spec, const std::string& what);

  // Channel gathers (lower_channels.cpp).
  std::function<const ir::Tensor*(const ir::Value*)> constantLookup() const {
    return [this](const ir::Value* value) { return constantOf(value); };
  }
  Status lowerConcatInPlace(const ir::Node& node);
  void absorb(const ir::Node& node);  // fused into the next kernel
  bool gatherFollowers(const ir::Value* value, std::vector<std::pair<const ir::Node*, ChannelGatherMatch>>& followers);
  // `node` computes `gather`, with `absorbed` (a shuffle's Transpose and last reshape).
  void lowerGather(const ChannelGather& gather, const ir::Node& node, const std::vector<const ir::Node*>& absorbed,
                   const std::string& what);
  // Elementwise groups -> ElementwisePrograms (lower_elementwise.cpp).
  ElementwiseContext elementwiseContext() const;
  int elementwiseRegister(ElementwiseProgramBuilder& builder, const ir::Value* value);
  int elementwiseConstantRegister(ElementwiseProgramBuilder& builder, std::vector<float> perChannel);
  int emitElementwiseNode(ElementwiseProgramBuilder& builder, const ir::Node& node);

  Program& program_;
  KernelModule& module_;
  Target target_;
  std::set<const ir::Node*> fused_;
  std::unordered_map<const ir::Value*, ConcatPlacement> concatPlacements_;
  std::unordered_map<const ir::Node*, ScaledConvInput> scaledInputs_;  // by Conv; their Muls are in fused_
  std::vector<const ir::Node*> pendingFused_;  // fused since the last kernel, for explain()
  int kernelCount_ = 0;
  int64_t opset_;
};

// A 4-D float value with a static shape: what generated kernels accept.
bool isStatic4dFloat(const ir::Value* value);
// A float value of any rank with a static shape: what plain-layout kernels accept.
bool isStaticFloat(const ir::Value* value);
// Whether `dims`, right-aligned to `target`'s rank, broadcasts to `target` without growing it.
bool broadcastsTo(const std::vector<int64_t>& dims, const std::vector<int64_t>& target);

}  // namespace convopt::codegen
