// Grouped family (more than one input channel per group). Wide groups (both
// channel counts per group multiples of V) run the broadcast microkernel per
// group; narrow groups (e.g. ResNeXt's 4 channels per group: V/4 groups share a
// vector) gather each group's input channels into its lanes with constant
// shuffles, so no multiply-add is wasted on the block diagonal's zeros.
#include "codegen/conv/conv_plan.h"

namespace convopt::codegen {

Expected<ConvPlan> planGrouped(const ConvSpec& spec, const Target& target) {
  if (spec.group == 1 || spec.isDepthwise()) return Status::refuse("grouped: not a grouped conv");
  int width = target.vectorWidth;
  if (spec.outPerGroup() % width == 0 && spec.inPerGroup() % width == 0) {
    ConvTile tile = broadcastTile(target, spec.outPerGroup() / width, true, spec.outWidth);
    return ConvPlan{"grouped", ChannelMapping::Broadcast, tile, spec};
  }
  if (spec.inPerGroup() > kMaxGatherReduction)
    return Status::refuse("grouped: groups neither vector-aligned nor narrow");
  std::optional<GatherPeriod> period = gatherPeriod(spec, width);
  if (!period) return Status::refuse("grouped: channels per group do not tile the vector width");
  ConvPlan plan{"grouped", ChannelMapping::Gather, gatherTile(target, period->period, spec.outWidth),
                spec,      period->period,         period->shiftBlocks};
  return plan;
}

}  // namespace convopt::codegen
