// Elementwise fusion: the connected group of elementwise nodes, starting at a
// seed node, that becomes ONE elementwise kernel (codegen/elementwise_kernel.h).
//
//   t = Add(x, 3); c = Clip(t, 0, 6); m = Mul(x, c); y = Div(m, 6)
//     -> one kernel: load x once, y = x * clip(x + 3, 0, 6) / 6 in registers, store y
//
// Legality, per node joining the group:
//   - an elementwise op the program can express (Add/Sub/Mul/Div, two-input
//     Max/Min, activations, Neg/Abs/Sqrt/Exp, Pow by a constant 0.5/1/2,
//     inference BatchNormalization on blocked tensors), one float output of the
//     group's static shape;
//   - every other input is computed in the group (producers not lowered yet may
//     join for that), or is a constant or a value computed before the seed that
//     broadcasts in a form the layout supports (blocked: full / per channel /
//     scalar; plain: numpy-style, every dim 1 or the output's);
// and per value inside the group: if it is a graph output or has a user outside
// the group, it is stored and none of its users are fused (they start a group of
// their own). Values without users inside the group are the kernel's outputs.
#pragma once
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "codegen/kernels/elementwise_kernel.h"
#include "ir/graph.h"
#include "ir/status.h"

namespace convopt::codegen {

// What the matcher asks of the plan so far (matching mutates nothing).
struct ElementwiseContext {
  std::function<const ir::Tensor*(const ir::Value*)> constantOf;
  std::function<bool(const ir::Value*)> isComputed;  // has storage before the seed's kernel runs
  std::function<bool(const ir::Node*)> isTaken;      // computed by another node's kernels
};

struct ElementwiseGroup {
  ElementwiseLayout layout = ElementwiseLayout::Blocked;
  std::vector<int64_t> dims;
  std::vector<const ir::Node*> nodes;  // topological; nodes[0] is the seed
  std::vector<const ir::Value*> outputs;
  std::map<const ir::Value*, ElementwiseOperand> operands;  // how each value read from outside enters
};

// Input indices of `node` that are kernel operands (Clip bounds, Pow's exponent
// and BatchNormalization's parameters are compiled in), or why the node is not
// an elementwise op the program can express.
Expected<std::vector<size_t>> elementwiseDataInputs(const ir::Node& node, const ElementwiseContext& context);

// How `value` (not computed in the group) enters a kernel of `layout` and output `dims`; nullopt if it cannot.
std::optional<ElementwiseOperand> classifyOperand(const ir::Value* value, ElementwiseLayout layout,
                                                  const std::vector<int64_t>& dims, const ElementwiseContext& context);

// The group grown from `seed`, or why the seed cannot be an elementwise kernel.
Expected<ElementwiseGroup> matchElementwiseGroup(const ir::Node& seed, const ElementwiseContext& context);

}  // namespace convopt::codegen
