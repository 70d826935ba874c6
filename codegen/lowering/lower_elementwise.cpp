// Elementwise nodes -> elementwise kernels: the group of elementwise nodes
// grown from each (codegen/elementwise_group.h) becomes one ElementwiseProgram.
#include <fmt/format.h>

#include <map>

#include "codegen/fusion/elementwise_group.h"
#include "codegen/fusion/epilogue_fusion.h"
#include "codegen/fusion/epilogue_patterns.h"
#include "codegen/lowering/op_lowering.h"
#include "ir/int_math.h"

namespace convopt::codegen {

// File-local steps of this file's lowering functions.
struct ElementwiseProgramBuilder;
static int elementwiseRegister(LoweringContext& context, ElementwiseProgramBuilder& b, const ir::Value* value);
static int elementwiseConstantRegister(LoweringContext& context, ElementwiseProgramBuilder& b,
                                       std::vector<float> perChannel);
static int emitElementwiseNode(LoweringContext& context, ElementwiseProgramBuilder& b, const ir::Node& node);

namespace {

// Per-channel values laid out as blocked [images, C, 1, 1]; padded lanes hold
// `padding` (1, so that divisors stay finite).
std::vector<float> packPerChannel(std::span<const float> values, int64_t images, int64_t channels, int width,
                                  float padding) {
  int64_t blocks = ceilDiv(channels, width);
  std::vector<float> packed(images * blocks * width, padding);
  for (int64_t n = 0; n < images; ++n)
    for (int64_t c = 0; c < channels; ++c)
      packed[(n * blocks + c / width) * width + c % width] = values[n * channels + c];
  return packed;
}

}  // namespace

// A program being built from a group: its spec, the kernel's operand
// arguments, and the register of every value computed or loaded so far.
struct ElementwiseProgramBuilder {
  const ElementwiseGroup& group;
  ElementwiseSpec spec;
  std::vector<KernelArg> args;
  std::map<const ir::Value*, int> registers;
};

Status lowerElementwise(LoweringContext& context, const ir::Node& node) {
  auto planned = context.fusion().elementwiseGroups.find(&node);
  if (planned == context.fusion().elementwiseGroups.end()) return context.refusal(node);
  const ElementwiseGroup& group = planned->second;
  ElementwiseProgramBuilder builder{group, {}, {}, {}};
  builder.spec.layout = group.layout, builder.spec.dims = group.dims;
  for (const ir::Node* member : group.nodes)
    builder.registers[member->output(0)] = emitElementwiseNode(context, builder, *member);
  for (const ir::Value* output : group.outputs) {
    builder.spec.results.push_back(builder.registers.at(output));
    int slot = group.layout == ElementwiseLayout::Blocked ? context.defineBlocked(output) : context.definePlain(output);
    builder.args.push_back({KernelArg::Kind::Slot, slot});
  }
  std::string name = context.kernelName("elementwise");
  emitElementwiseKernel(context.module(), name, builder.spec, context.vectorWidth());
  std::string what = builder.spec.describe() + (group.layout == ElementwiseLayout::Plain ? ", plain" : "");
  context.addKernel(name, elementwiseWorkUnits(builder.spec, context.vectorWidth()), std::move(builder.args), what,
                    node, {group.nodes.begin() + 1, group.nodes.end()});
  return Status::success();
}

// The register holding `value` in the program: computed in the group, or a newly loaded operand.
int elementwiseRegister(LoweringContext& context, ElementwiseProgramBuilder& b, const ir::Value* value) {
  if (auto it = b.registers.find(value); it != b.registers.end()) return it->second;
  const ElementwiseOperand& operand = b.group.operands.at(value);
  KernelArg arg{KernelArg::Kind::Constant, -1};
  if (const ir::Tensor* constant = context.constantOf(value)) {
    std::span<const float> data = constant->data<float>();
    if (operand.kind == OperandKind::Channel || operand.kind == OperandKind::ImageChannel) {
      int64_t channels = b.spec.dims[1], images = int64_t(data.size()) / channels;
      arg.index = context.addConstant(packPerChannel(data, images, channels, context.vectorWidth(), 1.0f));
    } else {
      arg.index = context.addConstant(data);
    }
  } else {
    arg = {KernelArg::Kind::Slot,
           b.spec.layout == ElementwiseLayout::Blocked ? context.blockedSlot(value) : context.plainSlot(value)};
  }
  b.spec.operands.push_back(operand);
  b.args.push_back(arg);
  int reg = b.spec.addInstr(ElementwiseOp::Operand, {}, int(b.spec.operands.size()) - 1);
  b.registers[value] = reg;
  return reg;
}

int elementwiseConstantRegister(LoweringContext& context, ElementwiseProgramBuilder& b, std::vector<float> perChannel) {
  b.spec.operands.push_back({OperandKind::Channel, {}});
  b.args.push_back(
      {KernelArg::Kind::Constant,
       context.addConstant(packPerChannel(perChannel, 1, int64_t(perChannel.size()), context.vectorWidth(), 1.0f))});
  return b.spec.addInstr(ElementwiseOp::Operand, {}, int(b.spec.operands.size()) - 1);
}

int emitElementwiseNode(LoweringContext& context, ElementwiseProgramBuilder& b, const ir::Node& node) {
  static const std::map<std::string, ElementwiseOp> ops = {
#define ELEMENTWISE_BINARY(op) {#op, ElementwiseOp::op},
#define ELEMENTWISE_UNARY(op) {#op, ElementwiseOp::op},
#include "codegen/lowering/lowered_ops.def"
  };
  ElementwiseSpec& spec = b.spec;
  int x = elementwiseRegister(context, b, node.input(0));
  if (node.opType == "Pow") {
    float exponent = context.constantOf(node.input(1))->data<float>()[0];
    if (exponent == 1.0f) return x;
    if (exponent == 0.5f) return spec.addInstr(ElementwiseOp::Sqrt, {x});
    if (exponent == -1.0f) return spec.addInstr(ElementwiseOp::Reciprocal, {x});
    int square = spec.addInstr(ElementwiseOp::Mul, {x, x});
    return exponent == 3.0f ? spec.addInstr(ElementwiseOp::Mul, {square, x}) : square;
  }
  if (node.opType == "BatchNormalization") {
    EpilogueStep affine = *batchNormStep(node, [&context](const ir::Value* v) { return context.constantOf(v); });
    int a = elementwiseConstantRegister(context, b, std::move(affine.scale));
    int c = elementwiseConstantRegister(context, b, std::move(affine.shift));
    return spec.addInstr(ElementwiseOp::MulAdd, {x, a, c});
  }
  auto op = ops.find(node.opType);
  if (op == ops.end())
    return spec.addInstr(ElementwiseOp::Activate, {x}, -1, *activationStep(node, context.constantLookup()));
  if (node.inputs().size() == 1) return spec.addInstr(op->second, {x});
  return spec.addInstr(op->second, {x, elementwiseRegister(context, b, node.input(1))});
}

}  // namespace convopt::codegen
