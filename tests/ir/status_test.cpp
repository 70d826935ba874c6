// Status and Expected<T>: "did it, or why not" (ir/status.h).
#include "ir/status.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace convopt {
namespace {

TEST(Status, SuccessHasNoReason) {
  Status s = Status::success();
  EXPECT_TRUE(s.ok());
  EXPECT_TRUE(static_cast<bool>(s));
  EXPECT_EQ(s.reason(), "");
}

TEST(Status, RefusalCarriesItsReason) {
  Status s = Status::refuse("weight is not a constant");
  EXPECT_FALSE(s.ok());
  EXPECT_FALSE(static_cast<bool>(s));
  EXPECT_EQ(s.reason(), "weight is not a constant");
}

TEST(Expected, HoldsAValue) {
  Expected<std::vector<int>> e = std::vector<int>{1, 2, 3};
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(static_cast<bool>(e));
  EXPECT_EQ(*e, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(e->size(), 3u);
  EXPECT_EQ(e.reason(), "");
  (*e).push_back(4);  // the value is the caller's to change
  EXPECT_EQ(e->back(), 4);
}

TEST(Expected, HoldsAReasonInsteadOfAValue) {
  Expected<int> e = Status::refuse("group does not divide the output channels");
  EXPECT_FALSE(e.ok());
  EXPECT_FALSE(static_cast<bool>(e));
  EXPECT_EQ(e.reason(), "group does not divide the output channels");
}

// status() drops the value and keeps the verdict, so a refusal passes up
// unchanged through callers of another value type.
TEST(Expected, StatusRoundTrip) {
  Expected<std::string> value = std::string("plan");
  EXPECT_TRUE(value.status().ok());

  Expected<std::string> refused = Status::refuse("cost model: no gain");
  Status status = refused.status();
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(status.reason(), "cost model: no gain");

  Expected<double> passedOn = status;
  EXPECT_FALSE(passedOn.ok());
  EXPECT_EQ(passedOn.reason(), "cost model: no gain");
}

}  // namespace
}  // namespace convopt
