// Epilogue fusion (epilogue_fusion.h).
#include <fmt/format.h>

#include <set>
#include <stdexcept>

#include "codegen/fusion/epilogue_fusion.h"
#include "codegen/lowering/static_values.h"

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
    if (gate->inputs().size() != 1 || gate->input(0) != y) continue;
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

std::optional<EpilogueStep> activationStep(const ir::Node& node, const ConstantLookup& constantOf) {
  static const std::set<std::string> activations = {
#define ELEMENTWISE_ACTIVATION(op) #op,
#include "codegen/lowering/lowered_ops.def"
  };
  const std::string& op = node.opType;
  if (!node.domain.empty() || node.outputs().size() != 1 || !activations.count(op)) return std::nullopt;
  // Inputs beyond those an activation takes (a newer opset's node that the schema
  // check lets through) mean it is not the activation of its first input alone.
  if (node.inputs().size() > activationInputs(op)) return std::nullopt;
  if (op == "Clip") {
    std::optional<std::pair<float, float>> bounds = clipBounds(node, constantOf);
    if (!bounds) return std::nullopt;
    return EpilogueStep::activate(Activation::Clip, bounds->first, bounds->second);
  }
  if (op == "Relu") return EpilogueStep::activate(Activation::Relu);
  if (op == "Sigmoid") return EpilogueStep::activate(Activation::Sigmoid);
  if (op == "HardSigmoid")
    return EpilogueStep::activate(Activation::HardSigmoid, node.getFloat("alpha", 0.2f), node.getFloat("beta", 0.5f));
  if (op == "HardSwish") return EpilogueStep::activate(Activation::HardSwish, 1.0f / 6, 0.5f);
  if (op == "LeakyRelu") return EpilogueStep::activate(Activation::LeakyRelu, node.getFloat("alpha", 0.01f));
  if (op == "Tanh") return EpilogueStep::activate(Activation::Tanh);
  if (op == "Softplus") return EpilogueStep::activate(Activation::Softplus);
  if (op == "Mish") return EpilogueStep::activate(Activation::Mish);
  if (op == "Elu") return EpilogueStep::activate(Activation::Elu, node.getFloat("alpha", 1.0f));
  if (op == "Selu")
    return EpilogueStep::activate(Activation::Selu, node.getFloat("alpha", 1.67326319217681884765625f),
                                  node.getFloat("gamma", 1.05070102214813232421875f));
  if (op == "Gelu") {
    std::string approximate = node.getString("approximate", "none");
    if (approximate != "none" && approximate != "tanh") return std::nullopt;  // the reference refuses it
    return EpilogueStep::activate(approximate == "tanh" ? Activation::GeluTanh : Activation::Gelu);
  }
  throw std::logic_error("lowered_ops.def lists the activation " + op + ", which activationStep does not map");
}

EpilogueMatch fuseEpilogue(const ir::Value* output, const ConstantLookup& constantOf,
                           const std::function<bool(const ir::Value*)>& isComputed) {
  EpilogueMatch match;
  FusedEpilogue& fused = match.fused;
  Epilogue& epilogue = fused.epilogue;
  auto stop = [&](std::string reason) {
    fused.output = output, match.stoppedBecause = std::move(reason);
    return match;
  };
  for (;;) {
    if (const ir::Node* gate = gatedBy(output)) {
      std::optional<EpilogueStep> step = activationStep(*gate, constantOf);
      if (!step) return stop(gate->label() + " has non-constant parameters");
      step->activation = step->activation == Activation::Sigmoid ? Activation::SiLU : Activation::HardSwish;
      epilogue.steps.push_back(*step);
      const ir::Node* mul = gate->output(0)->uses()[0].user;
      fused.nodes.push_back(gate), fused.nodes.push_back(mul);
      output = mul->output(0);
      continue;
    }
    if (std::optional<GatedPattern> gated = decomposedGatedActivation(output, constantOf)) {
      for (EpilogueStep& step : gated->steps)
        step.kind == EpilogueStep::Kind::Affine ? appendAffine(epilogue, step) : epilogue.steps.push_back(step);
      fused.nodes.insert(fused.nodes.end(), gated->nodes.begin(), gated->nodes.end());
      output = gated->output;
      continue;
    }
    if (output->isGraphOutput()) return stop(output->name() + " is a graph output");
    const ir::Node* user = onlyUser(output);
    if (!user) return stop(fmt::format("{} has {} uses", output->name(), output->uses().size()));
    std::optional<EpilogueStep> step = user->input(0) == output ? activationStep(*user, constantOf) : std::nullopt;
    if (step) {
      epilogue.steps.push_back(*step);
    } else if (std::optional<EpilogueStep> affine = affineStep(*user, output, constantOf)) {
      appendAffine(epilogue, *affine);
    } else if (std::optional<EpilogueStep> affine = batchNormStep(*user, constantOf);
               affine && isStatic4dFloat(output) && affine->scale.size() == size_t(output->type.staticShape()[1])) {
      appendAffine(epilogue, *affine);
    } else if (isDefaultOp(user, "Add") && user->inputs().size() == 2) {
      const ir::Value* other = user->input(0) == output ? user->input(1) : user->input(0);
      bool ready = other != output && isStatic4dFloat(other) && !constantOf(other) && isComputed(other) &&
                   other->type.staticShape() == output->type.staticShape() && user->output(0)->type.hasStaticShape() &&
                   user->output(0)->type.staticShape() == output->type.staticShape();
      if (!ready) return stop(user->label() + " adds " + other->name() + ", not a same-shape value computed before");
      epilogue.steps.push_back(EpilogueStep::addResidual());
      fused.residuals.push_back(other);
    } else {
      return stop("the next node, " + user->label() + ", does not fuse");
    }
    fused.nodes.push_back(user);
    output = user->output(0);
  }
}

}  // namespace convopt::codegen
