// Known-value propagation for shape arithmetic: models compute Reshape
// targets and Resize sizes with Shape -> Gather/Slice -> arithmetic -> Concat
// chains; when the dims involved are static, so are the results. Only small
// integer tensors are tracked.
#include <algorithm>
#include <cstdint>
#include <functional>

#include "ir/shape_rules.h"

namespace convopt::ir {
namespace {

using Ints = std::vector<int64_t>;
using ValueRule = std::optional<Ints> (*)(const Node& node, const KnownValues& known);

constexpr size_t kMaxTrackedElements = 64;

std::optional<Ints> shapeValue(const Node& node, const KnownValues&) {
  const Value* x = node.input(0);
  if (!x || !x->type.hasStaticShape()) return std::nullopt;
  Ints dims = x->type.staticShape();
  auto rank = static_cast<int64_t>(dims.size());
  auto clampAxis = [&](int64_t a) { return std::clamp(a < 0 ? a + rank : a, int64_t{0}, rank); };
  int64_t start = clampAxis(node.getInt("start", 0)), end = clampAxis(node.getInt("end", rank));
  return start < end ? Ints(dims.begin() + start, dims.begin() + end) : Ints{};
}

std::optional<Ints> sizeValue(const Node& node, const KnownValues& known) {
  auto dims = shapeValue(node, known);
  if (!dims) return std::nullopt;
  int64_t size = 1;
  for (int64_t d : *dims)
    if (__builtin_mul_overflow(size, d, &size)) return std::nullopt;
  return Ints{size};
}

std::optional<Ints> passThroughValue(const Node& node, const KnownValues& known) { return known.ints(node.input(0)); }

// Gather along axis 0 of a 1-D (or scalar-indexed) integer tensor.
std::optional<Ints> gatherValue(const Node& node, const KnownValues& known) {
  auto data = known.ints(node.input(0));
  auto indices = known.ints(node.input(1));
  if (!data || !indices || node.getInt("axis", 0) != 0) return std::nullopt;
  const Value* dataValue = node.input(0);
  if (dataValue->type.shape && dataValue->type.shape->size() != 1) return std::nullopt;
  Ints out;
  auto n = static_cast<int64_t>(data->size());
  for (int64_t i : *indices) {
    if (i < -n || i >= n) return std::nullopt;
    out.push_back((*data)[i < 0 ? i + n : i]);
  }
  return out;
}

std::optional<Ints> concatValue(const Node& node, const KnownValues& known) {
  Ints out;
  for (const Value* in : node.inputs()) {
    auto part = known.ints(in);
    if (!part) return std::nullopt;
    out.insert(out.end(), part->begin(), part->end());
  }
  return out;
}

// Slice of a 1-D tensor (starts/ends as inputs, opset 10+; or attributes).
std::optional<Ints> sliceValue(const Node& node, const KnownValues& known) {
  auto data = known.ints(node.input(0));
  auto attrOrInput = [&](const char* name, size_t i) -> std::optional<Ints> {
    if (const Attribute* a = node.findAttribute(name)) return a->ints;
    return known.ints(node.input(i));
  };
  auto starts = attrOrInput("starts", 1), ends = attrOrInput("ends", 2);
  auto steps = node.input(4) ? known.ints(node.input(4)) : std::optional(Ints{1});
  if (!data || !starts || !ends || !steps || starts->size() != 1 || ends->size() != 1 || steps->size() != 1)
    return std::nullopt;
  auto n = static_cast<int64_t>(data->size());
  int64_t step = (*steps)[0];
  if (step == 0) return std::nullopt;
  if (n == 0) return Ints{};  // (and the clamp below needs n - 1 >= 0 when stepping back)
  auto clampIndex = [&](int64_t v, int64_t lo, int64_t hi) { return std::clamp(v < 0 ? v + n : v, lo, hi); };
  int64_t s = step > 0 ? clampIndex((*starts)[0], 0, n) : clampIndex((*starts)[0], 0, n - 1);
  int64_t e = step > 0 ? clampIndex((*ends)[0], 0, n) : clampIndex((*ends)[0], -1, n - 1);
  Ints out;
  for (int64_t i = s; step > 0 ? i < e : i > e; i += step) out.push_back((*data)[i]);
  return out;
}

// Integer Add/Sub/Mul/Div with one side possibly a single element (broadcast).
template <typename Op>
std::optional<Ints> arithmeticValue(const Node& node, const KnownValues& known) {
  auto a = known.ints(node.input(0)), b = known.ints(node.input(1));
  if (!a || !b || (a->size() != b->size() && a->size() != 1 && b->size() != 1)) return std::nullopt;
  if (a->empty() || b->empty()) return Ints{};  // [0] against [0] or [1]: nothing to compute
  size_t n = std::max(a->size(), b->size());
  Ints out(n);
  for (size_t i = 0; i < n; ++i) {
    int64_t x = (*a)[a->size() == 1 ? 0 : i], y = (*b)[b->size() == 1 ? 0 : i];
    if (std::is_same_v<Op, std::divides<>> && y == 0) return std::nullopt;
    // Computed wide so that overflow (and INT64_MIN / -1) is detected, not UB.
    __int128 wide = Op()(static_cast<__int128>(x), static_cast<__int128>(y));
    if (wide < INT64_MIN || wide > INT64_MAX) return std::nullopt;
    out[i] = static_cast<int64_t>(wide);
  }
  return out;
}

bool isIntegerType(DType t) {
  return t != DType::Float && t != DType::Double && t != DType::Float16 && t != DType::BFloat16 && t != DType::String &&
         t != DType::Undefined && elementSize(t) != 0;
}

std::optional<Ints> castValue(const Node& node, const KnownValues& known) {
  if (!isIntegerType(static_cast<DType>(node.getInt("to", 0)))) return std::nullopt;
  return known.ints(node.input(0));
}

const std::unordered_map<std::string, ValueRule>& valueRules() {
  static const std::unordered_map<std::string, ValueRule> rules = {
      {"Shape", shapeValue},
      {"Size", sizeValue},
      {"Identity", passThroughValue},
      {"Squeeze", passThroughValue},
      {"Unsqueeze", passThroughValue},
      {"Reshape", passThroughValue},
      {"Flatten", passThroughValue},
      {"Cast", castValue},
      {"Gather", gatherValue},
      {"Concat", concatValue},
      {"Slice", sliceValue},
      {"Add", arithmeticValue<std::plus<>>},
      {"Sub", arithmeticValue<std::minus<>>},
      {"Mul", arithmeticValue<std::multiplies<>>},
      {"Div", arithmeticValue<std::divides<>>},  // truncating, as ONNX's integer Div
  };
  return rules;
}

}  // namespace

void propagateKnownValues(const Node& node, KnownValues& known) {
  if ((!node.domain.empty() && node.domain != "ai.onnx") || node.outputs().empty() || !node.output(0)) return;
  auto it = valueRules().find(node.opType);
  if (it == valueRules().end()) return;
  // Arithmetic on floats (e.g. Mul of activations) must not be folded as ints.
  for (const Value* in : node.inputs())
    if (in && in->type.dtype != DType::Undefined && !isIntegerType(in->type.dtype) && node.opType != "Shape" &&
        node.opType != "Size" && node.opType != "Cast")
      return;
  auto values = it->second(node, known);
  if (values && values->size() <= kMaxTrackedElements) known.set(node.output(0), std::move(*values));
}

}  // namespace convopt::ir
