#include "codegen/conv/conv_plan.h"

#include <fmt/format.h>

namespace convopt::codegen {

std::optional<GatherPeriod> gatherPeriod(const ConvSpec& spec, int vectorWidth) {
  for (int period = 1; period <= kMaxGatherPeriod; ++period) {
    int64_t lanes = int64_t(period) * vectorWidth;
    if (lanes % spec.outPerGroup()) continue;
    int64_t shift = lanes / spec.outPerGroup() * spec.inPerGroup();
    if (shift % vectorWidth == 0) return GatherPeriod{period, shift / vectorWidth};
  }
  return std::nullopt;
}

std::vector<int64_t> nativeDepthMultipliers(int vectorWidth, int64_t upTo) {
  std::vector<int64_t> native;
  for (int64_t m = 1; m <= upTo; ++m) {
    ConvSpec spec;
    spec.inChannels = spec.group = vectorWidth;
    spec.outChannels = vectorWidth * m;
    if (gatherPeriod(spec, vectorWidth)) native.push_back(m);
  }
  return native;
}

bool halfLastBlock(const ConvSpec& spec, int vectorWidth) {
  int64_t lanes = spec.outChannels % vectorWidth;
  return lanes > 0 && 2 * lanes <= vectorWidth;
}

bool canReadPlainInput(const ConvPlan& plan, int vectorWidth) {
  return plan.mapping == ChannelMapping::Broadcast && plan.view.group == 1 && plan.view.inChannels < vectorWidth;
}

ConvPlan withTargetBudgets(ConvPlan plan, const Target& target) {
  plan.vectorRegisters = target.vectorRegisters;
  plan.caches = target.caches;
  return plan;
}

ConvVariant measuredConvVariant(const ConvSpec& spec, const Target& target) {
  auto measured = target.measuredConvVariants.find(convLayerKey(spec));
  return measured == target.measuredConvVariants.end() ? ConvVariant::Heuristic : measured->second;
}

std::string describeConvPlan(const ConvSpec& spec, const ConvPlan& plan) {
  const Epilogue& epilogue = plan.view.epilogue;
  std::string variant =
      plan.variant == ConvVariant::Heuristic ? "" : fmt::format(" {} (measured)", convVariantName(plan.variant));
  return fmt::format("{} {} tile {}x{}{}{}{}{}", plan.family, spec.describe(), plan.tile.outBlocks, plan.tile.pixels,
                     variant, plan.plainInput ? " plain input" : "", epilogue.steps.empty() ? "" : " + ",
                     epilogue.describe());
}

Expected<ConvPlan> planConv(const ConvSpec& spec, const Target& target) {
  // Nothing to compute, and every family divides by the channels per group.
  if (spec.outChannels == 0 || spec.inPerGroup() == 0) return Status::refuse("conv: its weight has no elements");
  std::string reasons;
  for (auto plan : {planPointwise, planDepthwise, planGrouped, planDense}) {
    Expected<ConvPlan> result = plan(spec, target);
    if (result) return withTargetBudgets(std::move(*result), target);
    reasons += (reasons.empty() ? "" : "; ") + result.reason();
  }
  return Status::refuse(reasons);
}

}  // namespace convopt::codegen
