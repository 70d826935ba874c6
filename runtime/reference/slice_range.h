// Which elements ONNX Slice takes along one axis — shared by the reference
// Slice and the engine's channel-slice gathers so both clamp alike.
#pragma once
#include <algorithm>
#include <cstdint>

namespace convopt::runtime::reference {

struct SliceRange {
  int64_t start = 0, count = 0;  // element start, start+step, ... (count of them)
};

// Along an axis of `length`: negative start/end count from the end, then both
// clamp to the axis (to [-1, length-1] when stepping backwards). step != 0.
inline SliceRange sliceRange(int64_t start, int64_t end, int64_t step, int64_t length) {
  if (start < 0) start += length;
  if (end < 0) end += length;
  start = step > 0 ? std::clamp<int64_t>(start, 0, length) : std::clamp<int64_t>(start, 0, length - 1);
  end = step > 0 ? std::clamp<int64_t>(end, 0, length) : std::clamp<int64_t>(end, -1, length - 1);
  // |step| and the span in unsigned arithmetic: a step near INT64_MIN or INT64_MAX does not overflow.
  uint64_t stride = step > 0 ? uint64_t(step) : uint64_t(0) - uint64_t(step);
  uint64_t span = step > 0 ? (end > start ? uint64_t(end - start) : 0) : (start > end ? uint64_t(start - end) : 0);
  return {start, span == 0 ? 0 : int64_t((span - 1) / stride + 1)};
}

}  // namespace convopt::runtime::reference
