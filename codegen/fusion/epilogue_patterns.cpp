#include "codegen/fusion/epilogue_patterns.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <tuple>

namespace convopt::codegen {

namespace {

bool isOp(const ir::Node* node, const char* op) { return node && node->domain.empty() && node->opType == op; }

const ir::Node* onlyUser(const ir::Value* value) {
  if (value->isGraphOutput() || value->uses().size() != 1) return nullptr;
  const ir::Use& use = value->uses()[0];
  return use.inputIndex == ir::Use::kImplicit ? nullptr : use.user;
}

// The constant's values if it is one per channel of `y` or a scalar.
std::optional<std::vector<float>> channelValues(const ir::Tensor* c, const ir::Value* y) {
  if (!c || c->dtype() != ir::DType::Float) return std::nullopt;
  std::span<const float> data = c->data<float>();
  if (c->numel() == 1) return std::vector<float>{data[0]};
  std::vector<int64_t> dims = c->dims();
  if (dims.size() > 4) return std::nullopt;
  dims.insert(dims.begin(), 4 - dims.size(), 1);
  if (dims[0] != 1 || dims[1] != y->type.staticShape()[1] || dims[2] != 1 || dims[3] != 1) return std::nullopt;
  return std::vector<float>(data.begin(), data.end());
}

std::vector<float> map(const std::vector<float>& v, float (*f)(float)) {
  std::vector<float> out(v);
  std::transform(out.begin(), out.end(), out.begin(), f);
  return out;
}

// a * b + c elementwise, where each has one value or one per channel.
std::vector<float> mulAdd(const std::vector<float>& a, const std::vector<float>& b, const std::vector<float>& c) {
  size_t n = std::max({a.size(), b.size(), c.size()});
  auto at = [](const std::vector<float>& v, size_t i) { return v.size() == 1 ? v[0] : v[i]; };
  std::vector<float> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = at(a, i) * at(b, i) + at(c, i);
  return out;
}

bool allEqual(const std::vector<float>& v, float value) {
  return std::all_of(v.begin(), v.end(), [&](float x) { return x == value; });
}

}  // namespace

std::optional<std::pair<float, float>> clipBounds(const ir::Node& clip, const ConstantLookup& constantOf) {
  if (clip.inputs().size() > 3) return std::nullopt;
  float bounds[2] = {clip.getFloat("min", -std::numeric_limits<float>::max()),
                     clip.getFloat("max", std::numeric_limits<float>::max())};
  for (size_t i = 1; i < clip.inputs().size(); ++i) {
    if (!clip.input(i)) continue;
    const ir::Tensor* bound = constantOf(clip.input(i));
    if (!bound || bound->numel() != 1 || bound->dtype() != ir::DType::Float) return std::nullopt;
    bounds[i - 1] = bound->data<float>()[0];
  }
  return std::pair(bounds[0], bounds[1]);
}

std::optional<EpilogueStep> affineStep(const ir::Node& user, const ir::Value* y, const ConstantLookup& constantOf) {
  const std::string& op = user.opType;
  if (!user.domain.empty() || user.inputs().size() != 2 || user.outputs().size() != 1) return std::nullopt;
  if (op != "Add" && op != "Sub" && op != "Mul" && op != "Div") return std::nullopt;
  const ir::Value* out = user.output(0);
  if (!y->type.hasStaticShape() || y->type.shape->size() != 4 || !out->type.hasStaticShape() ||
      out->type.staticShape() != y->type.staticShape() || out->type.dtype != ir::DType::Float)
    return std::nullopt;
  bool yFirst = user.input(0) == y;
  const ir::Value* other = yFirst ? user.input(1) : user.input(0);
  if (other == y) return std::nullopt;
  std::optional<std::vector<float>> c = channelValues(constantOf(other), y);
  if (!c) return std::nullopt;
  auto negate = [](float x) { return -x; };
  auto reciprocal = [](float x) { return 1 / x; };
  if (op == "Add") return EpilogueStep::affine({1}, *c);
  if (op == "Mul") return EpilogueStep::affine(*c, {0});
  if (op == "Sub") return yFirst ? EpilogueStep::affine({1}, map(*c, negate)) : EpilogueStep::affine({-1}, *c);
  if (yFirst) return EpilogueStep::affine(map(*c, reciprocal), {0});
  return std::nullopt;
}

std::optional<EpilogueStep> batchNormStep(const ir::Node& node, const ConstantLookup& constantOf) {
  if (!isOp(&node, "BatchNormalization") || node.inputs().size() != 5 || node.outputs().size() != 1 ||
      node.getInt("training_mode", 0) != 0)
    return std::nullopt;
  std::vector<std::span<const float>> p;
  for (size_t i = 1; i < 5; ++i) {
    const ir::Tensor* t = constantOf(node.input(i));
    if (!t || t->dtype() != ir::DType::Float || t->rank() != 1) return std::nullopt;
    p.push_back(t->data<float>());
  }
  size_t channels = p[0].size();
  for (const auto& values : p)
    if (values.size() != channels) return std::nullopt;
  // y = (x - mean) / sqrt(var + eps) * scale + bias = x * a + b
  float epsilon = node.getFloat("epsilon", 1e-5f);
  std::vector<float> a(channels), b(channels);
  for (size_t c = 0; c < channels; ++c) {
    a[c] = p[0][c] / std::sqrt(p[3][c] + epsilon);
    b[c] = p[1][c] - p[2][c] * a[c];
  }
  return EpilogueStep::affine(std::move(a), std::move(b));
}

void appendAffine(Epilogue& epilogue, EpilogueStep step) {
  if (epilogue.steps.empty() || epilogue.steps.back().kind != EpilogueStep::Kind::Affine) {
    epilogue.steps.push_back(std::move(step));
    return;
  }
  // (x * s1 + t1) * s2 + t2 = x * (s1 * s2) + (t1 * s2 + t2)
  EpilogueStep& last = epilogue.steps.back();
  last.scale = mulAdd(last.scale, step.scale, {0});
  last.shift = mulAdd(last.shift, step.scale, step.shift);
  if (allEqual(last.scale, 1) && allEqual(last.shift, 0)) epilogue.steps.pop_back();
}

namespace {

// Mul(y', g(y)) with the gate chain g starting at `user` (a use of y), and y'
// y itself (`other` is then the Mul) or c * y (`other` a scalar affine of y
// read by the Mul alone: HF's y * 0.5 * (1 + erf(...))).
std::optional<GatedPattern> gatedFrom(const ir::Value* y, const ir::Node* user, const ir::Node* other,
                                      const ConstantLookup& constantOf) {
  GatedPattern pattern;
  const ir::Value* scaledY = y;
  float c = 1;
  std::optional<EpilogueStep> scale = affineStep(*other, y, constantOf);
  if (scale && !scale->perChannel() && scale->shift[0] == 0 && onlyUser(other->output(0))) {
    scaledY = other->output(0), c = scale->scale[0];
    pattern.nodes.push_back(other);
  }
  // g: [scalar affine], Clip or Erf (the gate), [scalar affine], each node the only user of the previous value.
  Epilogue before, after;
  float lo = 0, hi = 0;
  const ir::Node* gate = nullptr;
  const ir::Value* g = y;
  for (; user && !isOp(user, "Mul"); user = onlyUser(g)) {
    if (std::optional<EpilogueStep> step = affineStep(*user, g, constantOf); step && !step->perChannel()) {
      appendAffine(gate ? after : before, *step);
    } else if ((isOp(user, "Clip") || isOp(user, "Erf")) && !gate && user->input(0) == g) {
      std::optional<std::pair<float, float>> bounds =
          isOp(user, "Clip") ? clipBounds(*user, constantOf) : std::optional(std::pair{0.0f, 1.0f});
      if (!bounds || (isOp(user, "Erf") && user->inputs().size() != 1)) return std::nullopt;
      std::tie(lo, hi) = *bounds;
      gate = user;
    } else {
      return std::nullopt;
    }
    pattern.nodes.push_back(user);
    g = user->output(0);
  }
  if (!user || !gate || user->inputs().size() != 2) return std::nullopt;
  bool pairs = (user->input(0) == scaledY && user->input(1) == g) || (user->input(1) == scaledY && user->input(0) == g);
  if (!pairs || g == y || !onlyUser(g) || user->output(0)->type.dtype != ir::DType::Float) return std::nullopt;
  float a = before.steps.empty() ? 1 : before.steps[0].scale[0],
        b = before.steps.empty() ? 0 : before.steps[0].shift[0];
  float s = after.steps.empty() ? 1 : after.steps[0].scale[0], t = after.steps.empty() ? 0 : after.steps[0].shift[0];
  s *= c, t *= c;
  // y * s * gate(a*y + b) + t*y: HardSwish (t = 0, gate Clip[0, hi]) or GELU (t = s, gate Erf, a = 1/sqrt 2, b = 0).
  auto near = [](float u, float v) { return std::abs(u - v) <= 1e-6f * std::abs(v); };
  float factor;
  if (isOp(gate, "Clip")) {
    if (lo != 0 || !(hi > 0) || t != 0 || !(s > 0)) return std::nullopt;
    pattern.steps.push_back(EpilogueStep::activate(Activation::HardSwish, a / hi, b / hi));
    factor = s * hi;
  } else {
    if (!near(a, float(std::numbers::sqrt2 / 2)) || b != 0 || !(s > 0) || !near(t, s)) return std::nullopt;
    pattern.steps.push_back(EpilogueStep::activate(Activation::Gelu));
    factor = 2 * s;
  }
  if (factor != 1) pattern.steps.push_back(EpilogueStep::affine({factor}, {0}));
  pattern.nodes.push_back(user);
  pattern.output = user->output(0);
  return pattern;
}

}  // namespace

std::optional<GatedPattern> decomposedGatedActivation(const ir::Value* y, const ConstantLookup& constantOf) {
  if (y->isGraphOutput() || y->uses().size() != 2) return std::nullopt;
  const ir::Node *first = y->uses()[0].user, *second = y->uses()[1].user;
  if (std::optional<GatedPattern> pattern = gatedFrom(y, first, second, constantOf)) return pattern;
  return gatedFrom(y, second, first, constantOf);
}

}  // namespace convopt::codegen
