// Dense family: direct k x k convolution with one group, including the 3-channel
// stem. Register tile of output blocks x pixels; each input scalar is broadcast
// once per tile and multiplied into every output block's weight vector.
#include "codegen/conv/conv_plan.h"
#include "ir/int_math.h"

namespace convopt::codegen {

Expected<ConvPlan> planDense(const ConvSpec& spec, const Target& target) {
  if (spec.group != 1) return Status::refuse("dense: grouped");
  int64_t outBlocks = ceilDiv(spec.outChannels, target.vectorWidth);
  ConvTile tile = broadcastTile(target, outBlocks, false, spec.outWidth, halfLastBlock(spec, target.vectorWidth));
  return ConvPlan{"dense", ChannelMapping::Broadcast, tile, spec};
}

}  // namespace convopt::codegen
