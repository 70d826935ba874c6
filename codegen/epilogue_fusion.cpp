// Epilogue fusion: the nodes after a kernel's output that become part of its
// epilogue instead of kernels of their own.
//   y = K(...); z = Act(y)                       -> K with Act      (y used once)
//   y = K(...); z = Add(y, r) / Add(r, y)        -> K with +r       (r same shape, already computed)
//   y = K(...); s = Sigmoid(y); z = Mul(y, s)    -> K with SiLU     (s used once)
//   y = K(...); h = HardSigmoid(y); z = Mul(y, h) -> K with HardSwish(alpha, beta)
// and repeated on z. A graph output is never fused through (it must exist).
// Before that, linear kernels (ConvTranspose) fold constant per-channel
// followers into their weights and bias (absorbChannelAffine):
//   y = K(...); z = Add/Sub/Mul/Div(y, c)        -> K with W*s, b*s+t   (c constant, one value per channel)
//   y = K(...); z = BatchNormalization(y, ...)   -> K with W*s, b*s+t   (inference form, constant parameters)
#include <cmath>

#include "codegen/engine_lowering.h"

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

// One value per channel of a constant that broadcasts along the channel axis
// only (aligned right against N, C, H, W: scalar, [C, 1, 1], [1, C, 1, 1]); empty otherwise.
std::vector<float> channelValues(const ir::Tensor* t, int64_t channels) {
  if (!t || t->dtype() != ir::DType::Float || t->rank() > 4) return {};
  const std::vector<int64_t>& dims = t->dims();
  for (size_t i = 0; i < dims.size(); ++i)
    if (dims[i] != 1 && !(dims.size() - i == 3 && dims[i] == channels)) return {};
  std::vector<float> values = t->toFloatVector();
  if (values.size() == 1) values.assign(channels, values[0]);
  return values;
}

// z = y*scale + shift for the follower `user` of y, or nullopt.
std::optional<ChannelAffine> followerAffine(const ir::Node& user, const ir::Value* y, int64_t channels,
                                            const std::function<const ir::Tensor*(const ir::Value*)>& constantOf) {
  ChannelAffine a(channels);
  const std::string& op = user.opType;
  if (isDefaultOp(&user, "BatchNormalization")) {
    if (user.inputs().size() != 5 || user.input(0) != y || user.getInt("training_mode", 0) != 0) return std::nullopt;
    std::vector<std::vector<float>> p;  // gamma, beta, mean, var
    for (size_t i = 1; i < 5; ++i) {
      const ir::Tensor* t = constantOf(user.input(i));
      if (!t || t->dtype() != ir::DType::Float || t->numel() != channels) return std::nullopt;
      p.push_back(t->toFloatVector());
    }
    float epsilon = user.getFloat("epsilon", 1e-5f);
    for (int64_t c = 0; c < channels; ++c) {
      a.scale[c] = p[0][c] / std::sqrt(p[3][c] + epsilon);
      a.shift[c] = p[1][c] - p[2][c] * a.scale[c];
    }
    return a;
  }
  bool arithmetic = op == "Add" || op == "Sub" || op == "Mul" || op == "Div";
  if (!user.domain.empty() || !arithmetic || user.inputs().size() != 2 || user.input(0) == user.input(1))
    return std::nullopt;
  bool yFirst = user.input(0) == y;
  std::vector<float> c = channelValues(constantOf(user.input(yFirst ? 1 : 0)), channels);
  if (c.empty()) return std::nullopt;
  for (int64_t i = 0; i < channels; ++i) {
    if (op == "Add") a.shift[i] = c[i];
    else if (op == "Mul") a.scale[i] = c[i];
    else if (op == "Sub") a.scale[i] = yFirst ? 1.0f : -1.0f, a.shift[i] = yFirst ? -c[i] : c[i];
    else if (yFirst && c[i] != 0) a.scale[i] = 1.0f / c[i];
    else return std::nullopt;  // c / y, or division by zero
  }
  return a;
}

}  // namespace

const ir::Value* Lowering::absorbChannelAffine(const ir::Value* output, ChannelAffine& affine) {
  const int64_t channels = int64_t(affine.scale.size());
  auto constant = [this](const ir::Value* v) { return constantOf(v); };
  for (;;) {
    const ir::Node* user = onlyUser(output);
    if (!user || user->outputs().size() != 1 || !isStatic4dFloat(user->output(0)) ||
        user->output(0)->type.staticShape() != output->type.staticShape())
      return output;
    std::optional<ChannelAffine> next = followerAffine(*user, output, channels, constant);
    if (!next) return output;
    for (int64_t c = 0; c < channels; ++c) {
      affine.scale[c] *= next->scale[c];
      affine.shift[c] = affine.shift[c] * next->scale[c] + next->shift[c];
    }
    fused_.insert(user);
    pendingFused_.push_back(user);
    output = user->output(0);
  }
}

std::optional<EpilogueStep> Lowering::activationStep(const ir::Node& node) const {
  const std::string& op = node.opType;
  if (!node.domain.empty() || node.outputs().size() != 1) return std::nullopt;
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
      const ir::Tensor* bound = constantOf(node.input(i));
      if (!bound || bound->numel() != 1 || bound->dtype() != ir::DType::Float) return std::nullopt;
      (i == 1 ? lo : hi) = bound->data<float>()[0];
    }
    return EpilogueStep::activate(Activation::Clip, lo, hi);
  }
  return std::nullopt;
}

const ir::Value* Lowering::fuseEpilogue(const ir::Value* output, Epilogue& epilogue,
                                        std::vector<const ir::Value*>& residuals) {
  for (;;) {
    if (const ir::Node* gate = gatedBy(output)) {
      std::optional<EpilogueStep> step = activationStep(*gate);
      if (!step) return output;
      step->activation = step->activation == Activation::Sigmoid ? Activation::SiLU : Activation::HardSwish;
      epilogue.steps.push_back(*step);
      const ir::Node* mul = gate->output(0)->uses()[0].user;
      fused_.insert(gate), fused_.insert(mul);
      pendingFused_.push_back(gate), pendingFused_.push_back(mul);
      output = mul->output(0);
      continue;
    }
    const ir::Node* user = onlyUser(output);
    if (!user) return output;
    if (std::optional<EpilogueStep> step = activationStep(*user)) {
      epilogue.steps.push_back(*step);
    } else if (isDefaultOp(user, "Add") && user->inputs().size() == 2) {
      const ir::Value* other = user->input(0) == output ? user->input(1) : user->input(0);
      bool ready = other != output && isStatic4dFloat(other) && !constantOf(other) &&
                   program_.storage.count(other) && !program_.storage[other].dynamic &&
                   other->type.staticShape() == output->type.staticShape() &&
                   user->output(0)->type.hasStaticShape() &&
                   user->output(0)->type.staticShape() == output->type.staticShape();
      if (!ready) return output;
      epilogue.steps.push_back(EpilogueStep::addResidual());
      residuals.push_back(other);
    } else {
      return output;
    }
    fused_.insert(user);
    pendingFused_.push_back(user);
    output = user->output(0);
  }
}

void Lowering::unfuse() {
  for (const ir::Node* fused : pendingFused_) fused_.erase(fused);
  pendingFused_.clear();
}

}  // namespace convopt::codegen
