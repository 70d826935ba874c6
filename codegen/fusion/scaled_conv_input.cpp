#include "codegen/fusion/scaled_conv_input.h"

#include "codegen/lowering/conv_spec_from_node.h"
#include "codegen/lowering/static_values.h"
#include "ir/error.h"

namespace convopt::codegen {

namespace {

bool isFloatConstant(const ir::Value* value, const ConstantLookup& constantOf) {
  const ir::Tensor* tensor = value ? constantOf(value) : nullptr;
  return tensor && tensor->dtype() == ir::DType::Float;
}

// The Conv, when `mul` is its only reader and a foldable per-channel scale of x.
std::optional<ScaledConvInput> matchScale(const ir::Node& mul, const ConstantLookup& constantOf) {
  if (!mul.domain.empty() || mul.opType != "Mul" || mul.inputs().size() != 2) return std::nullopt;
  const ir::Value* product = mul.output(0);
  if (product->isGraphOutput() || product->uses().size() != 1 || product->uses()[0].inputIndex != 0 ||
      !isStatic4dFloat(product))
    return std::nullopt;
  std::vector<int64_t> dims = product->type.staticShape();
  for (int side = 0; side < 2; ++side) {
    const ir::Value *x = mul.input(side), *s = mul.input(1 - side);
    if (!isStatic4dFloat(x) || x->type.staticShape() != dims || dims[0] != 1 || !isStaticFloat(s) || constantOf(s))
      continue;
    std::vector<int64_t> scale = s->type.staticShape();
    bool perChannel =
        (scale == std::vector<int64_t>{1, dims[1], 1, 1}) || (scale == std::vector<int64_t>{dims[1], 1, 1});
    if (perChannel) return ScaledConvInput{&mul, x, s};
  }
  return std::nullopt;
}

bool foldable(const ir::Node& conv, const ConstantLookup& constantOf) {
  if (!conv.domain.empty() || conv.opType != "Conv" || !isStatic4dFloat(conv.output(0))) return false;
  if (!isFloatConstant(conv.input(1), constantOf) || (conv.input(2) && !isFloatConstant(conv.input(2), constantOf)))
    return false;
  ConvSpec spec;
  try {
    spec = convSpecFromNode(conv);
  } catch (const InputError&) {
    return false;
  }
  int64_t activation = spec.inChannels * spec.inHeight * spec.inWidth;
  int64_t weights = spec.outChannels * spec.inChannels * spec.kernelH * spec.kernelW;
  return spec.group == 1 && activation > weights;
}

}  // namespace

std::unordered_map<const ir::Node*, ScaledConvInput> planScaledConvInputs(
    const ir::Graph& graph, const ConstantLookup& constantOf, const std::function<bool(const ir::Node&)>& hasKernel) {
  std::unordered_map<const ir::Node*, ScaledConvInput> folded;
  for (const ir::Node* node : graph.nodes()) {
    std::optional<ScaledConvInput> scale = matchScale(*node, constantOf);
    if (!scale) continue;
    const ir::Node* conv = node->output(0)->uses()[0].user;
    if (hasKernel(*conv) && foldable(*conv, constantOf)) folded[conv] = *scale;
  }
  return folded;
}

}  // namespace convopt::codegen
