// Epilogue fusion (epilogue_fusion.h).
#include <set>
#include <stdexcept>

#include "codegen/fusion/epilogue_fusion.h"
#include "codegen/fusion/epilogue_patterns.h"
#include "codegen/lowering/op_lowering.h"

namespace convopt::codegen {

namespace {

const ir::Node* onlyUser(const ir::Value* value) {
  if (value->isGraphOutput() || value->uses().size() != 1) return nullptr;
  const ir::Use& use = value->uses()[0];
  return use.inputIndex == ir::Use::kImplicit ? nullptr : use.user;
}

bool isDefaultOp(const ir::Node* node, const char* op) { return node && node->domain.empty() && node->opType == op; }

// y -> gate(y) -> Mul(y, gate(y)): the gate node, or nullptr.
const ir::Node* gatedBy(const ir::Value* y) {
  if (y->isGraphOutput() || y->uses().size() != 2) return nullptr;
  for (const ir::Use& use : y->uses()) {
    const ir::Node* gate = use.user;
    if (!isDefaultOp(gate, "Sigmoid") && !isDefaultOp(gate, "HardSigmoid")) continue;
    const ir::Node* mul = onlyUser(gate->output(0));
    if (!isDefaultOp(mul, "Mul") || mul->inputs().size() != 2) continue;
    bool pairs = (mul->input(0) == y && mul->input(1) == gate->output(0)) ||
                 (mul->input(1) == y && mul->input(0) == gate->output(0));
    const ir::Use& other = y->uses()[0].user == gate ? y->uses()[1] : y->uses()[0];
    if (pairs && other.user == mul) return gate;
  }
  return nullptr;
}

}  // namespace

std::optional<EpilogueStep> activationStep(const LoweringContext& context, const ir::Node& node) {
  static const std::set<std::string> activations = {
#define ELEMENTWISE_ACTIVATION(op) #op,
#include "codegen/lowering/lowered_ops.def"
  };
  const std::string& op = node.opType;
  if (!node.domain.empty() || node.outputs().size() != 1 || !activations.count(op)) return std::nullopt;
  if (op == "Relu") return EpilogueStep::activate(Activation::Relu);
  if (op == "Sigmoid") return EpilogueStep::activate(Activation::Sigmoid);
  if (op == "HardSigmoid")
    return EpilogueStep::activate(Activation::HardSigmoid, node.getFloat("alpha", 0.2f), node.getFloat("beta", 0.5f));
  if (op == "HardSwish") return EpilogueStep::activate(Activation::HardSwish, 1.0f / 6, 0.5f);
  if (op == "LeakyRelu") return EpilogueStep::activate(Activation::LeakyRelu, node.getFloat("alpha", 0.01f));
  if (op == "Clip") {
    float lo = node.getFloat("min", -3.402823466e38f), hi = node.getFloat("max", 3.402823466e38f);
    for (size_t i = 1; i < 3; ++i) {
      if (!node.input(i)) continue;
      const ir::Tensor* bound = context.constantOf(node.input(i));
      if (!bound || bound->numel() != 1 || bound->dtype() != ir::DType::Float) return std::nullopt;
      (i == 1 ? lo : hi) = bound->data<float>()[0];
    }
    return EpilogueStep::activate(Activation::Clip, lo, hi);
  }
  throw std::logic_error("lowered_ops.def lists the activation " + op + ", which activationStep does not map");
}

const ir::Value* fuseEpilogue(LoweringContext& context, const ir::Value* output, Epilogue& epilogue,
                              std::vector<const ir::Value*>& residuals) {
  for (;;) {
    if (const ir::Node* gate = gatedBy(output)) {
      std::optional<EpilogueStep> step = activationStep(context, *gate);
      if (!step) return output;
      step->activation = step->activation == Activation::Sigmoid ? Activation::SiLU : Activation::HardSwish;
      epilogue.steps.push_back(*step);
      const ir::Node* mul = gate->output(0)->uses()[0].user;
      context.fuse(*gate), context.fuse(*mul);
      output = mul->output(0);
      continue;
    }
    ConstantLookup constants = [&context](const ir::Value* v) { return context.constantOf(v); };
    if (std::optional<GatedPattern> gated = decomposedHardSwish(output, constants)) {
      for (EpilogueStep& step : gated->steps)
        step.kind == EpilogueStep::Kind::Affine ? appendAffine(epilogue, step) : epilogue.steps.push_back(step);
      for (const ir::Node* node : gated->nodes) context.fuse(*node);
      output = gated->output;
      continue;
    }
    const ir::Node* user = onlyUser(output);
    if (!user) return output;
    if (std::optional<EpilogueStep> step = activationStep(context, *user)) {
      epilogue.steps.push_back(*step);
    } else if (std::optional<EpilogueStep> affine = affineStep(*user, output, constants)) {
      appendAffine(epilogue, *affine);
    } else if (std::optional<EpilogueStep> affine = batchNormStep(*user, constants);
               affine && isStatic4dFloat(output) && affine->scale.size() == size_t(output->type.staticShape()[1])) {
      appendAffine(epilogue, *affine);
    } else if (isDefaultOp(user, "Add") && user->inputs().size() == 2) {
      const ir::Value* other = user->input(0) == output ? user->input(1) : user->input(0);
      bool ready = other != output && isStatic4dFloat(other) && !context.constantOf(other) &&
                   context.program().storage.count(other) && !context.program().storage[other].dynamic &&
                   other->type.staticShape() == output->type.staticShape() && user->output(0)->type.hasStaticShape() &&
                   user->output(0)->type.staticShape() == output->type.staticShape();
      if (!ready) return output;
      epilogue.steps.push_back(EpilogueStep::addResidual());
      residuals.push_back(other);
    } else {
      return output;
    }
    context.fuse(*user);
    output = user->output(0);
  }
}

}  // namespace convopt::codegen
