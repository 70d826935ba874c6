// The project's own shape rules: op name -> function computing the types of a
// node's outputs from its inputs' types (and constant inputs). They back up
// ONNX's inference for opsets libonnx does not know and validate what the
// passes rely on (e.g. a Conv weight fitting its input channels and group).
// One file per op family (shape_rules_*.cpp) adds its rules to the table.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ir/graph.h"

namespace convopt::ir {

using Shape = std::vector<Dim>;

// Values of small integer tensors known without running the model:
// initializers, Constants, and what shape arithmetic (Shape -> Gather ->
// Concat -> Reshape chains) computes from static dims (shape_values.cpp).
class KnownValues {
 public:
  std::optional<std::vector<int64_t>> ints(const Value* value) const;
  void set(const Value* value, std::vector<int64_t> values) { values_[value] = std::move(values); }

 private:
  std::unordered_map<const Value*, std::vector<int64_t>> values_;
};

// Records the values of `node`'s output 0 when its inputs' values (or, for
// Shape, its input's dims) are known.
void propagateKnownValues(const Node& node, KnownValues& known);

// Returns one type per output; a type with Undefined dtype and no shape means
// "nothing known". Throws InputError naming the node on contradictory shapes.
using ShapeRule = std::vector<ValueType> (*)(const Node& node, const KnownValues& known);
using ShapeRuleTable = std::unordered_map<std::string, ShapeRule>;

// The rule for an op of the default domain, or nullptr.
ShapeRule findShapeRule(const Node& node);

void addConvShapeRules(ShapeRuleTable& table);
void addElementwiseShapeRules(ShapeRuleTable& table);
void addLinearShapeRules(ShapeRuleTable& table);
void addLayoutShapeRules(ShapeRuleTable& table);
void addReduceShapeRules(ShapeRuleTable& table);
void addControlFlowShapeRules(ShapeRuleTable& table);
void addSizingShapeRules(ShapeRuleTable& table);

// ---- helpers shared by the rule files ----

// Input i's shape if its rank is known.
std::optional<Shape> inputShape(const Node& node, size_t i);
DType inputDType(const Node& node, size_t i);
// Values of input i when it is a float initializer or a float Constant's output.
std::optional<std::vector<float>> constantFloats(const Node& node, size_t i);
ValueType makeType(DType dtype, std::optional<Shape> shape);
// Axis in [-rank, rank) -> [0, rank); InputError naming the node otherwise.
int64_t normalizeAxis(const Node& node, int64_t axis, int64_t rank);
// Numpy-style broadcast of two shapes; InputError naming the node on a mismatch.
Shape broadcastShapes(const Node& node, const Shape& a, const Shape& b);
Dim staticDim(int64_t value);
// "[1,3,?,N]": static dims, symbolic names, ? for unknown (for messages).
std::string dimsText(const Shape& shape);

}  // namespace convopt::ir
