// Concat and Split along channels -> channel-gather kernels.
#include <fmt/format.h>

#include "codegen/channel_gather_kernel.h"
#include "codegen/engine_lowering.h"

namespace convopt::codegen {

namespace {

bool isChannelAxis(const ir::Node& node) {
  int64_t axis = node.getInt("axis", 0);
  return axis == 1 || axis == -3;
}

bool allActivations(const std::vector<ir::Value*>& values) {
  for (const ir::Value* v : values)
    if (!isStatic4dFloat(v)) return false;
  return true;
}

}  // namespace

std::string Lowering::lowerConcat(const ir::Node& node) {
  if (!isChannelAxis(node) || !allActivations(node.inputs()) || !isStatic4dFloat(node.output(0)))
    return "not a channel concat of static 4-D float tensors";
  for (const ir::Value* input : node.inputs())
    if (constantOf(input)) return "constant operand";
  std::vector<int64_t> dims = node.output(0)->type.staticShape();
  ChannelGatherSpec spec{dims[0], dims[2], dims[3], {}, {}};
  std::vector<KernelArg> args;
  for (size_t k = 0; k < node.inputs().size(); ++k) {
    int64_t channels = node.input(k)->type.staticShape()[1];
    spec.sourceChannels.push_back(channels);
    for (int64_t c = 0; c < channels; ++c) spec.outputChannels.push_back({int(k), c});
    args.push_back({KernelArg::Kind::Slot, blockedSlot(node.input(k))});
  }
  args.push_back({KernelArg::Kind::Slot, defineBlocked(node.output(0))});
  std::string name = kernelName("concat");
  emitChannelGatherKernel(*module_.module, name, spec, vectorWidth());
  addKernel(name, channelGatherWorkUnits(spec), std::move(args), "channel concat", node);
  return "";
}

std::string Lowering::lowerSplit(const ir::Node& node) {
  if (!isChannelAxis(node) || !isStatic4dFloat(node.input(0)) || !allActivations(node.outputs()))
    return "not a channel split of a static 4-D float tensor";
  std::vector<int64_t> dims = node.input(0)->type.staticShape();
  int64_t first = 0;
  for (const ir::Value* output : node.outputs()) {
    int64_t channels = output->type.staticShape()[1];
    ChannelGatherSpec spec{dims[0], dims[2], dims[3], {dims[1]}, {}};
    for (int64_t c = 0; c < channels; ++c) spec.outputChannels.push_back({0, first + c});
    first += channels;
    std::vector<KernelArg> args = {{KernelArg::Kind::Slot, blockedSlot(node.input(0))},
                                   {KernelArg::Kind::Slot, defineBlocked(output)}};
    std::string name = kernelName("split");
    emitChannelGatherKernel(*module_.module, name, spec, vectorWidth());
    addKernel(name, channelGatherWorkUnits(spec), std::move(args), "channel split", node);
  }
  return "";
}

}  // namespace convopt::codegen
