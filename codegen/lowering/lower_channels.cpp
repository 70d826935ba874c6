// Channel gathers (channel_gather_match.h): Concat, Split, Slice on channels and
// channel shuffles -> channel-gather kernels.
// Chains are composed:
//   Before: c = Concat(a, b); s = shuffle(c); x, y = Split(s)  (three gathers)
//   After:  x = gather(a, b); y = gather(a, b)                 (two kernels)
// when the intermediate (c, s) is not a graph output and every use of it is a
// gather reading only it, as its data input; the nodes in between are fused
// into the kernels that replace them.
#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "codegen/fusion/channel_gather_match.h"
#include "codegen/fusion/epilogue_fusion.h"
#include "codegen/lowering/op_lowering.h"

namespace convopt::codegen {

// File-local steps of this file's lowering functions.
static Status lowerConcatInPlace(LoweringContext& context, const ir::Node& node);
static void absorb(LoweringContext& context, const ir::Node& node);
static bool gatherFollowers(LoweringContext& context, const ir::Value* value,
                            std::vector<std::pair<const ir::Node*, ChannelGatherMatch>>& followers);
static void lowerGather(LoweringContext& context, const ChannelGather& gather, const ir::Node& node,
                        const std::vector<const ir::Node*>& absorbed, const std::string& what);

Status lowerChannelGather(LoweringContext& context, const ir::Node& node) {
  auto placement = context.concatPlacements().find(node.input(0));
  if (node.opType == "Concat" && placement != context.concatPlacements().end() &&
      placement->second.whole == node.output(0))
    return lowerConcatInPlace(context, node);
  ChannelGatherMatch match;
  if (Status status = matchChannelGather(node, context.constantLookup(), context.opset(), match); !status)
    return status;
  for (const ChannelGather& gather : match.outputs) lowerGather(context, gather, node, match.absorbed, match.what);
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

void absorb(LoweringContext& context, const ir::Node& node) { context.fuse(node); }

// The gather nodes reading `value`, when every use of it is one that reads nothing else.
bool gatherFollowers(LoweringContext& context, const ir::Value* value,
                     std::vector<std::pair<const ir::Node*, ChannelGatherMatch>>& followers) {
  if (value->isGraphOutput() || value->uses().empty()) return false;
  for (const ir::Use& use : value->uses()) {
    ChannelGatherMatch match;
    if (use.inputIndex != 0 || context.isFused(*use.user) ||
        !matchChannelGather(*use.user, context.constantLookup(), context.opset(), match))
      return false;
    for (const ChannelGather& gather : match.outputs)
      if (gather.sources != std::vector<const ir::Value*>{value}) return false;
    followers.push_back({use.user, std::move(match)});
  }
  return true;
}

void lowerGather(LoweringContext& context, const ChannelGather& gather, const ir::Node& node,
                 const std::vector<const ir::Node*>& absorbed, const std::string& what) {
  std::vector<std::pair<const ir::Node*, ChannelGatherMatch>> followers;
  bool composed = gatherFollowers(context, gather.output, followers);
  if (composed) absorb(context, node);
  for (const ir::Node* other : absorbed) absorb(context, *other);
  if (composed) {
    for (const auto& [follower, match] : followers) {
      context.markLowered(*follower);  // lowered here, not when the walk reaches it
      for (const ChannelGather& outer : match.outputs)
        lowerGather(context, composeGathers(gather, outer), *follower, match.absorbed, what + " > " + match.what);
    }
    return;
  }
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
  std::string description = fmt::format("channel {}: {} channel(s) from {} source(s)", what, spec.outputChannels.size(),
                                        spec.sourceChannels.size());
  context.addKernel(name, channelGatherWorkUnits(spec), std::move(args), description, node);
}

}  // namespace convopt::codegen
