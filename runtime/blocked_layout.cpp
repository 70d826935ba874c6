#include "runtime/blocked_layout.h"

#include "runtime/blocked_reorder.h"

namespace convopt::runtime {

BlockedShape BlockedShape::of(const std::vector<int64_t>& nchw, int vectorWidth) {
  return {nchw.at(0), nchw.at(1), nchw.at(2), nchw.at(3), vectorWidth};
}

void toBlocked(const float* plain, float* blocked, const BlockedShape& shape, int64_t first, int64_t last) {
  convopt_to_blocked(plain, blocked, shape.channels, shape.height * shape.width, shape.vectorWidth, first,
                     last < 0 ? shape.planes() : last);
}

void fromBlocked(const float* blocked, float* plain, const BlockedShape& shape, int64_t first, int64_t last) {
  convopt_from_blocked(blocked, plain, shape.channels, shape.height * shape.width, shape.vectorWidth, first,
                       last < 0 ? shape.planes() : last);
}

}  // namespace convopt::runtime
