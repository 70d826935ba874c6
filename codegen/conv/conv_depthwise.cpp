// Depthwise family: one input channel per group (any kernel size, stride,
// dilation and depth multiplier). Each output vector reads the input vector of
// its own channels (permuted by a constant shuffle when the multiplier is > 1),
// and each weight vector is reused across a row of pixels.
#include "codegen/conv/conv_plan.h"

namespace convopt::codegen {

Expected<ConvPlan> planDepthwise(const ConvSpec& spec, const Target& target) {
  if (!spec.isDepthwise()) return Status::refuse("depthwise: not one input channel per group");
  std::optional<GatherPeriod> period = gatherPeriod(spec, target.vectorWidth);
  if (!period) return Status::refuse("depthwise: depth multiplier does not tile the vector width");
  ConvPlan plan{"depthwise", ChannelMapping::Gather, gatherTile(target, period->period, spec.outWidth),
                spec,        period->period,         period->shiftBlocks};
  return plan;
}

}  // namespace convopt::codegen
