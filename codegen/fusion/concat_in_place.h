// Concat without a copy: the producers of a channel Concat's inputs write
// straight into the Concat's blocked (NCHWc) buffer, each at its channel offset.
//   Before: a = conv1(x); b = conv2(x); y = Concat(a, b)   (y copied by a gather kernel)
//   After:  conv1 writes y[:, 0:Ca], conv2 writes y[:, Ca:]  (no kernel for the Concat)
// Legal when the Concat is a channel gather of static 4-D floats (axis 1) with
// batch 1 (an input's blocks are then one contiguous range of the output's;
// with more images they interleave), every input starts at a multiple of the
// vector width (whole blocks: all inputs but the last have C % V == 0), no input
// is a constant, appears twice in the Concat, or already writes into an earlier
// Concat. The lowering copies any input whose storage turns out to be elsewhere
// (e.g. an Identity of an earlier value) into its place.
#pragma once
#include <cstdint>
#include <unordered_map>

#include "codegen/fusion/channel_gather_match.h"

namespace convopt::codegen {

struct ConcatPlacement {
  const ir::Value* whole = nullptr;  // the Concat's output
  int64_t channelOffset = 0;         // first channel of the input in it
};

// Inputs of the Concats done in place, in `graph` order (an input belongs to the first that takes it).
std::unordered_map<const ir::Value*, ConcatPlacement> planConcatsInPlace(const ir::Graph& graph,
                                                                         const ConstantLookup& constantOf,
                                                                         int64_t opset, int vectorWidth);

}  // namespace convopt::codegen
