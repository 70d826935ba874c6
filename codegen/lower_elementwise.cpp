// Activations, Add/Sub/Mul/Div with per-tensor / per-channel / scalar
// broadcasting, and inference BatchNormalization -> elementwise kernels.
#include <fmt/format.h>

#include <cmath>
#include <map>

#include "codegen/elementwise_kernel.h"
#include "codegen/engine_lowering.h"

namespace convopt::codegen {

namespace {

struct Operand {
  OperandKind kind;
  KernelArg arg;
};

ElementwiseSpec specFor(const ir::Value* output, ElementwiseOp op) {
  std::vector<int64_t> dims = output->type.staticShape();
  ElementwiseSpec spec;
  spec.batch = dims[0], spec.channels = dims[1], spec.height = dims[2], spec.width = dims[3];
  spec.op = op;
  return spec;
}

// Per-channel values laid out as blocked [images, C, 1, 1]; padded lanes hold
// `padding` (1 for divisors, so they stay finite).
std::vector<float> packPerChannel(std::span<const float> values, int64_t images, int64_t channels, int width,
                                  float padding) {
  int64_t blocks = (channels + width - 1) / width;
  std::vector<float> packed(images * blocks * width, padding);
  for (int64_t n = 0; n < images; ++n)
    for (int64_t c = 0; c < channels; ++c) packed[(n * blocks + c / width) * width + c % width] = values[n * channels + c];
  return packed;
}

}  // namespace

std::string Lowering::lowerActivation(const ir::Node& node) {
  std::optional<EpilogueStep> step = activationStep(node);
  if (!step) return "activation parameters are not constants";
  if (!isStatic4dFloat(node.input(0)) || !isStatic4dFloat(node.output(0))) return "not a static 4-D float tensor";
  ElementwiseSpec spec = specFor(node.output(0), ElementwiseOp::Identity);
  spec.operands = {OperandKind::Full};
  spec.epilogue.steps.push_back(*step);
  std::vector<const ir::Value*> residuals;
  const ir::Value* output = fuseEpilogue(node, node.output(0), spec.epilogue, residuals);
  std::vector<KernelArg> args = {{KernelArg::Kind::Slot, blockedSlot(node.input(0))}};
  appendOutputArgs(args, output, residuals);
  std::string name = kernelName("elementwise");
  emitElementwiseKernel(*module_.module, name, spec, vectorWidth());
  addKernel(name, elementwiseWorkUnits(spec, vectorWidth()), std::move(args), spec.describe(), node);
  return "";
}

std::string Lowering::lowerBinary(const ir::Node& node) {
  static const std::map<std::string, ElementwiseOp> ops = {
      {"Add", ElementwiseOp::Add}, {"Sub", ElementwiseOp::Sub}, {"Mul", ElementwiseOp::Mul}, {"Div", ElementwiseOp::Div}};
  const ir::Value* out = node.output(0);
  if (!isStatic4dFloat(out) || node.inputs().size() != 2) return "output not a static 4-D float tensor";
  ElementwiseOp op = ops.at(node.opType);
  std::vector<int64_t> outDims = out->type.staticShape();
  auto classify = [&](const ir::Value* value) -> std::optional<Operand> {
    if (!value || value->type.dtype != ir::DType::Float || !value->type.hasStaticShape()) return std::nullopt;
    std::vector<int64_t> dims = value->type.staticShape();
    if (dims.size() > 4) return std::nullopt;
    bool rank4 = dims.size() == 4;
    dims.insert(dims.begin(), 4 - dims.size(), 1);
    const ir::Tensor* constant = constantOf(value);
    int width = vectorWidth();
    if (constant && constant->dtype() != ir::DType::Float) return std::nullopt;
    if (constant && constant->numel() == 1)
      return Operand{OperandKind::Scalar, {KernelArg::Kind::Constant, addConstant({constant->data<float>()[0]})}};
    bool perChannel = dims[1] == outDims[1] && dims[2] == 1 && dims[3] == 1 && (dims[0] == 1 || dims[0] == outDims[0]);
    OperandKind channelKind = dims[0] == outDims[0] ? OperandKind::ImageChannel : OperandKind::Channel;
    if (constant && perChannel)
      return Operand{channelKind,
                     {KernelArg::Kind::Constant, addConstant(packPerChannel(constant->data<float>(), dims[0], dims[1], width,
                                                                            op == ElementwiseOp::Div ? 1.0f : 0.0f))}};
    if (constant || !rank4 || !program_.storage.count(value) || program_.storage[value].dynamic) return std::nullopt;
    if (dims == outDims) return Operand{OperandKind::Full, {KernelArg::Kind::Slot, -1}};
    if (perChannel) return Operand{channelKind, {KernelArg::Kind::Slot, -1}};
    return std::nullopt;
  };
  std::optional<Operand> lhs = classify(node.input(0)), rhs = classify(node.input(1));
  if (!lhs || !rhs) return "operands broadcast in a way the kernels do not cover";
  ElementwiseSpec spec = specFor(out, op);
  spec.operands = {lhs->kind, rhs->kind};
  std::vector<const ir::Value*> residuals;
  const ir::Value* output = fuseEpilogue(node, out, spec.epilogue, residuals);
  std::vector<KernelArg> args = {lhs->arg, rhs->arg};
  for (size_t k = 0; k < 2; ++k)
    if (args[k].kind == KernelArg::Kind::Slot) args[k].index = blockedSlot(node.input(k));
  appendOutputArgs(args, output, residuals);
  std::string name = kernelName("elementwise");
  emitElementwiseKernel(*module_.module, name, spec, vectorWidth());
  addKernel(name, elementwiseWorkUnits(spec, vectorWidth()), std::move(args), spec.describe(), node);
  return "";
}

// y = (x - mean) / sqrt(var + eps) * scale + bias = x * a + b.
std::string Lowering::lowerBatchNorm(const ir::Node& node) {
  if (node.outputs().size() != 1 || node.getInt("training_mode", 0) != 0) return "training mode";
  if (!isStatic4dFloat(node.input(0)) || !isStatic4dFloat(node.output(0))) return "not a static 4-D float tensor";
  std::vector<const ir::Tensor*> params;
  for (size_t i = 1; i < 5; ++i) {
    const ir::Tensor* t = constantOf(node.input(i));
    if (!t || t->dtype() != ir::DType::Float) return "parameters are not float constants";
    params.push_back(t);
  }
  int64_t channels = node.input(0)->type.staticShape()[1];
  float epsilon = node.getFloat("epsilon", 1e-5f);
  std::vector<float> scale(channels), shift(channels);
  for (int64_t c = 0; c < channels; ++c) {
    scale[c] = params[0]->data<float>()[c] / std::sqrt(params[3]->data<float>()[c] + epsilon);
    shift[c] = params[1]->data<float>()[c] - params[2]->data<float>()[c] * scale[c];
  }
  ElementwiseSpec spec = specFor(node.output(0), ElementwiseOp::MulAdd);
  spec.operands = {OperandKind::Full, OperandKind::Channel, OperandKind::Channel};
  std::vector<const ir::Value*> residuals;
  const ir::Value* output = fuseEpilogue(node, node.output(0), spec.epilogue, residuals);
  int width = vectorWidth();
  std::vector<KernelArg> args = {{KernelArg::Kind::Slot, blockedSlot(node.input(0))},
                                 {KernelArg::Kind::Constant, addConstant(packPerChannel(scale, 1, channels, width, 0))},
                                 {KernelArg::Kind::Constant, addConstant(packPerChannel(shift, 1, channels, width, 0))}};
  appendOutputArgs(args, output, residuals);
  std::string name = kernelName("batchnorm");
  emitElementwiseKernel(*module_.module, name, spec, width);
  addKernel(name, elementwiseWorkUnits(spec, width), std::move(args), spec.describe(), node);
  return "";
}

}  // namespace convopt::codegen
