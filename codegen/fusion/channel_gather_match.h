// Which nodes are channel gathers of static 4-D float tensors: every output
// channel is a copy of one input channel, whatever the spatial size. Matched
// structurally from shapes and constant operands; matching mutates nothing and
// a rejection says why.
//   Concat, Split along axis 1.
//   Slice whose only non-identity axis is 1: constant starts/ends/axes/steps
//     (attributes before opset 10, inputs after), any step, negative indices.
//   Channel shuffle: r = reshape(x) -> t = Transpose(r) -> y = reshape(t) with
//     y the shape of x, r and t used once, all shapes static, where the axes
//     of r split x's [N | C | H·W] at their boundaries (size-1 axes anywhere)
//     and the Transpose keeps the batch and spatial axes in order and ahead of
//     / behind the channel axes, permuting only the channel factors (so any g
//     in [N,g,C/g,H,W] or [N,g,C/g,H·W] with perm (0,2,1,...), and more
//     factors or unit axes, are the same pattern). "reshape" is any of
//     Reshape, Flatten, Squeeze, Unsqueeze: all keep row-major order.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "codegen/kernels/channel_gather_kernel.h"
#include "ir/graph.h"
#include "ir/status.h"

namespace convopt::codegen {

using ConstantLookup = std::function<const ir::Tensor*(const ir::Value*)>;

// Channel k of `output` copies channel channels[k].channel of sources[channels[k].source].
struct ChannelGather {
  const ir::Value* output = nullptr;
  std::vector<const ir::Value*> sources;
  std::vector<ChannelGatherSpec::Channel> channels;
};

struct ChannelGatherMatch {
  std::string what;                       // "concat", "split", "slice", "shuffle"
  std::vector<ChannelGather> outputs;     // one per output of the node (of the final reshape for a shuffle)
  std::vector<const ir::Node*> absorbed;  // a shuffle's Transpose and final reshape
};

bool isReshapeLike(const ir::Node& node);

// Fills `match` when `node` (for a shuffle: its first reshape) is a channel gather, else says why not.
Status matchChannelGather(const ir::Node& node, const ConstantLookup& constantOf, int64_t opset,
                          ChannelGatherMatch& match);

// `outer` reads only inner.output: the same gather reading inner's sources directly.
ChannelGather composeGathers(const ChannelGather& inner, const ChannelGather& outer);

}  // namespace convopt::codegen
