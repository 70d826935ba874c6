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
  int64_t count = step > 0 ? (end - start + step - 1) / step : (start - end - step - 1) / -step;
  return {start, std::max<int64_t>(0, count)};
}

}  // namespace convopt::runtime::reference
