// What a Conv node is: its kind (dense / pointwise / grouped / depthwise),
// geometry, parameter count and multiply-accumulates. Shared by `inspect`,
// the passes (to classify candidates) and tests.
#pragma once
#include <optional>
#include <string_view>
#include <vector>

#include "ir/graph.h"

namespace convopt::ir {

// dense: group 1, kernel larger than 1x1; pointwise: group 1, 1x1 kernel;
// grouped: 1 < group < C_in; depthwise: group == C_in > 1.
enum class ConvKind { Dense, Pointwise, Grouped, Depthwise };
std::string_view convKindName(ConvKind kind);
ConvKind classifyConv(int64_t inChannels, int64_t group, const std::vector<int64_t>& kernelShape);

struct ConvInfo {
  const Node* node = nullptr;
  // Where the conv is: "" in the main graph, else the owning nodes and graph
  // attributes down to its body ("If_25/then_branch", ".../Loop_3/body").
  std::string scope;
  ConvKind kind = ConvKind::Dense;
  int64_t inChannels = 0, outChannels = 0, group = 1;
  std::vector<int64_t> kernelShape, strides, dilations, pads;
  // Spatial output dims (H, W for 2-D); -1 where shape inference left a dim unknown.
  std::vector<int64_t> outputSpatial;
  int64_t weightParams = 0, biasParams = 0;
  // N * C_out * prod(output spatial) * (C_in / group) * prod(kernel); bias not
  // counted. Empty when the batch or an output dim is unknown.
  std::optional<int64_t> macs;
};

// Requires the weight's shape (an initializer or an inferred type); run
// inferShapes first for output dims. Throws InputError naming the node when
// the weight shape is unknown or does not fit the input channels and group.
ConvInfo analyzeConv(const Node& conv);

}  // namespace convopt::ir
