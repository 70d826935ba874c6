// The four kinds of 2-D convolution convopt distinguishes, from the Conv's
// channel counts, group and kernel size (not from weight values).
//   depthwise: group == C_in (any depth multiplier C_out / C_in), C_in > 1
//   grouped:   1 < group < C_in
//   dense1x1:  group == 1, every kernel dim 1
//   densekxk:  group == 1, otherwise
// NOTE for the lead: the inspect helper classifies kinds too (ConvInfo); this
// is the passes' copy until the two are unified.
#pragma once
#include <cstdint>
#include <string_view>

namespace convopt::passes {

enum class ConvKind { Dense1x1, DenseKxK, Grouped, Depthwise };

ConvKind classifyConv(int64_t inChannels, int64_t group, int64_t kernelElements);
std::string_view convKindName(ConvKind kind);

}  // namespace convopt::passes
