#include "codegen/fusion/concat_in_place.h"

#include <set>

namespace convopt::codegen {

namespace {

bool isConstant(const ir::Value* value, const ConstantLookup& constantOf) {
  const ir::Node* producer = value->producer();
  return constantOf(value) || (producer && producer->domain.empty() && producer->opType == "Constant");
}

// The first channel of each input, or empty when the Concat is not done in place.
std::vector<int64_t> inPlaceOffsets(const ir::Node& node, const ConstantLookup& constantOf, int64_t opset,
                                    int vectorWidth,
                                    const std::unordered_map<const ir::Value*, ConcatPlacement>& taken) {
  ChannelGatherMatch match;
  if (node.opType != "Concat" || !matchChannelGather(node, constantOf, opset, match)) return {};
  if (node.output(0)->type.staticShape()[0] != 1) return {};
  std::vector<int64_t> offsets;
  std::set<const ir::Value*> seen;
  int64_t offset = 0;
  for (const ir::Value* input : node.inputs()) {
    if (offset % vectorWidth || isConstant(input, constantOf) || !seen.insert(input).second || taken.count(input))
      return {};
    offsets.push_back(offset);
    offset += input->type.staticShape()[1];
  }
  return offsets;
}

}  // namespace

std::unordered_map<const ir::Value*, ConcatPlacement> planConcatsInPlace(const ir::Graph& graph,
                                                                         const ConstantLookup& constantOf,
                                                                         int64_t opset, int vectorWidth) {
  std::unordered_map<const ir::Value*, ConcatPlacement> placements;
  for (const ir::Node* node : graph.nodes()) {
    std::vector<int64_t> offsets = inPlaceOffsets(*node, constantOf, opset, vectorWidth, placements);
    for (size_t k = 0; k < offsets.size(); ++k) placements[node->input(k)] = {node->output(0), offsets[k]};
  }
  return placements;
}

}  // namespace convopt::codegen
