// Channel gathers (channel_gather_match.h): Concat, Split, Slice on channels and
// channel shuffles -> channel-gather kernels, one per gather the pre-lowering
// pipeline planned (compose-gathers: a chain of gathers is one kernel per final
// output); in-place Concats (concat_in_place.h) -> no kernel.
#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "codegen/fusion/channel_gather_match.h"
#include "codegen/lowering/op_lowering.h"

namespace convopt::codegen {

// File-local steps of this file's lowering functions.
static Status lowerConcatInPlace(LoweringContext& context, const ir::Node& node);
static void lowerGather(LoweringContext& context, const ComposedGather& kernel);

Status lowerChannelGather(LoweringContext& context, const ir::Node& node) {
  auto placement = context.fusion().concatPlacements.find(node.input(0));
  if (node.opType == "Concat" && placement != context.fusion().concatPlacements.end() &&
      placement->second.whole == node.output(0))
    return lowerConcatInPlace(context, node);
  auto planned = context.fusion().gathers.find(&node);
  if (planned == context.fusion().gathers.end()) return context.refusal(node);
  for (const ComposedGather& kernel : planned->second) lowerGather(context, kernel);
  return Status::success();
}

// The inputs' producers wrote into the Concat's buffer (concat_in_place.h);
// an input stored elsewhere (an alias of an earlier value) is copied into place.
Status lowerConcatInPlace(LoweringContext& context, const ir::Node& node) {
  int whole = context.concatBuffer(node.output(0));
  int copied = 0;
  for (const ir::Value* input : node.inputs()) {
    int slot = context.blockedSlot(input);  // reordered into place when only a plain copy exists
    const Slot& stored = context.program().slots[slot];
    if (stored.parent == whole && stored.parentOffset == context.concatOffset(input)) continue;
    int view = context.newBlockedSlot(input);
    std::vector<int64_t> dims = input->type.staticShape();
    ChannelGatherSpec spec{dims[0], dims[2], dims[3], {dims[1]}, {}};
    for (int64_t c = 0; c < dims[1]; ++c) spec.outputChannels.push_back({0, c});
    std::string name = context.kernelName("gather");
    emitChannelGatherKernel(context.module(), name, spec, context.vectorWidth());
    context.addKernel(name, channelGatherWorkUnits(spec),
                      {{KernelArg::Kind::Slot, slot}, {KernelArg::Kind::Slot, view}},
                      "copy of " + input->name() + " into the concat", node);
    ++copied;
  }
  context.touch(whole);
  context.program().explanation.push_back(
      fmt::format("{}: Concat -> in place: {} of {} input(s) written into its buffer by "
                  "their producers",
                  node.label(), node.inputs().size() - copied, node.inputs().size()));
  return Status::success();
}

void lowerGather(LoweringContext& context, const ComposedGather& kernel) {
  const ChannelGather& gather = kernel.gather;
  std::vector<int64_t> dims = gather.output->type.staticShape();
  ChannelGatherSpec spec{dims[0], dims[2], dims[3], {}, {}};
  std::vector<KernelArg> args;
  std::map<const ir::Value*, int> sourceIndex;  // only the sources this output reads, once each
  for (const ChannelGatherSpec::Channel& channel : gather.channels) {
    const ir::Value* source = gather.sources[channel.source];
    auto [it, added] = sourceIndex.insert({source, int(spec.sourceChannels.size())});
    if (added) {
      spec.sourceChannels.push_back(source->type.staticShape()[1]);
      args.push_back({KernelArg::Kind::Slot, context.blockedSlot(source)});
    }
    spec.outputChannels.push_back({it->second, channel.channel});
  }
  args.push_back({KernelArg::Kind::Slot, context.defineBlocked(gather.output)});
  std::string name = context.kernelName("gather");
  emitChannelGatherKernel(context.module(), name, spec, context.vectorWidth());
  std::string description = fmt::format("channel {}: {} channel(s) from {} source(s)", kernel.what,
                                        spec.outputChannels.size(), spec.sourceChannels.size());
  context.addKernel(name, channelGatherWorkUnits(spec), std::move(args), description, *kernel.node, kernel.fused);
}

}  // namespace convopt::codegen
