// Sizes for the dynamic dims of an input that `--verify` seeds with random
// data, chosen from what the nodes reading it need so that the seeded model
// runs: batch (dim 0) 1; channels (dim 1) as a Conv's weight, a
// ConvTranspose's, a normalization's scale or a per-channel constant says,
// also through ops that keep the channels on the way to one, else the default
// size; other dims the default size, or more where a Conv's or pool's window
// reading the input itself spans more ((k-1)*dilation+1 less its pads; a
// window after other ops is not looked for, as --verify-dim can size it).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace convopt::passes {

// `value` must have a known rank. Each dynamic dim's size is noted in `sized`
// ("'x' dim 2 = 81").
std::vector<int64_t> seededDims(const ir::Value& value, const std::vector<const ir::Node*>& readers,
                                int64_t defaultSize, std::vector<std::string>& sized);

}  // namespace convopt::passes
