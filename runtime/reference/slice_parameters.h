// A Slice node's constant parameters (attributes before opset 10, inputs
// after) resolved per input axis with the reference interpreter's own clamping
// rule (slice_range.h): what the engine's channel-slice gathers and plain
// strided-copy Slices and the splitconcat-to-grouped pass all read.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "ir/status.h"

namespace convopt::runtime::reference {

// Along one axis the Slice takes elements start, start+step, ... (count of them).
struct SliceAxis {
  int64_t start = 0, count = 0, step = 1;
  bool whole(int64_t length) const { return start == 0 && step == 1 && count == length; }
};

struct SliceParameters {
  std::vector<int64_t> starts, ends, axes, steps;  // axes, steps empty: ONNX's defaults (0, 1, ...; all 1)
  // One SliceAxis per axis of `dims` (the whole axis where not sliced), or why the parameters are invalid.
  Status resolve(const std::vector<int64_t>& dims, std::vector<SliceAxis>& result) const;
};

// Fills `params` when every parameter of the Slice is a constant, else says which one is not.
Status readSliceParameters(const ir::Node& node, const std::function<const ir::Tensor*(const ir::Value*)>& constantOf,
                           int64_t opset, SliceParameters& params);

}  // namespace convopt::runtime::reference
