// Pointwise family: 1x1, stride 1, unpadded, one group — a GEMM per image,
// (OC x C) times (C x H*W), run as a register-blocked broadcast microkernel
// over H*W pixels seen as rows of W*k pixels.
#include "codegen/conv/conv_plan.h"
#include "ir/int_math.h"

namespace convopt::codegen {

namespace {

// The plan viewing H*W as rows of `rowLength` pixels (a divisor of H*W).
ConvPlan pointwiseRows(const ConvSpec& spec, const Target& target, int64_t rowLength) {
  int64_t outBlocks = ceilDiv(spec.outChannels, target.vectorWidth);
  ConvTile tile = broadcastTile(target, outBlocks, false, rowLength, halfLastBlock(spec, target.vectorWidth));
  ConvPlan plan{"pointwise", ChannelMapping::Broadcast, tile, spec};
  plan.view.inHeight = plan.view.outHeight = spec.outHeight * spec.outWidth / rowLength;
  plan.view.inWidth = plan.view.outWidth = rowLength;
  return plan;
}

}  // namespace

Expected<ConvPlan> planPointwise(const ConvSpec& spec, const Target& target) {
  if (!spec.isPointwise()) return Status::refuse("pointwise: not a 1x1 stride-1 unpadded conv");
  if (spec.group != 1) return Status::refuse("pointwise: grouped");
  if (!spec.placement.isDense()) return Status::refuse("pointwise: output not stored densely");
  int64_t outBlocks = ceilDiv(spec.outChannels, target.vectorWidth);
  int64_t pixels = spec.outHeight * spec.outWidth;
  ConvTile tile = broadcastTile(target, outBlocks, false, pixels, halfLastBlock(spec, target.vectorWidth));
  return pointwiseRows(
      spec, target, pointwiseRowLength(spec.outHeight, spec.outWidth, tile.pixels, ceilDiv(outBlocks, tile.outBlocks)));
}

ConvPlan pointwiseByImageRows(const ConvSpec& spec, const Target& target) {
  return withTargetBudgets(pointwiseRows(spec, target, spec.outWidth), target);
}

}  // namespace convopt::codegen
