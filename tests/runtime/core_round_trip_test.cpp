// The cores' round trip (runtime/core_round_trip.h): a real, finite time, and
// measured again and again without a hang (the second thread is joined).
#include <gtest/gtest.h>

#include <cmath>

#include "runtime/core_round_trip.h"

namespace convopt::runtime {
namespace {

TEST(CoreRoundTrip, IsAPositiveFiniteTimeEveryTime) {
  for (int trial = 0; trial < 3; ++trial) {
    double ns = measureCoreRoundTripNs();
    EXPECT_GT(ns, 0);
    EXPECT_TRUE(std::isfinite(ns));
  }
}

}  // namespace
}  // namespace convopt::runtime
