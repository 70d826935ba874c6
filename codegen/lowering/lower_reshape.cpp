// Reshape, Flatten, Squeeze, Unsqueeze. A channel shuffle starting here becomes
// a channel-gather kernel (lower_channels.cpp). Any other reshape of a computed,
// statically shaped tensor is an alias of its input's plain (ONNX layout)
// buffer: these ops keep row-major order, so nothing is copied (a blocked input
// is reordered to plain once, as any plain consumer would need).
#include <fmt/format.h>

#include "codegen/fusion/epilogue_fusion.h"
#include "codegen/lowering/op_lowering.h"

namespace convopt::codegen {

Status lowerReshape(LoweringContext& context, const ir::Node& node) {
  Status shuffle = lowerChannelGather(context, node);
  if (shuffle.ok()) return shuffle;
  const ir::Value *in = node.input(0), *out = node.output(0);
  auto storage = context.program().storage.find(in);
  bool computed = !context.constantOf(in) && storage != context.program().storage.end() && !storage->second.dynamic &&
                  (storage->second.plain >= 0 || storage->second.blocked >= 0);
  if (!computed || !out->type.hasStaticShape() || out->type.dtype != in->type.dtype)
    return Status::refuse("not a static reshape of a computed tensor; not a channel shuffle: " + shuffle.reason());
  context.program().storage[out].plain = context.plainSlot(in);
  context.program().explanation.push_back(
      fmt::format("{}: {} -> alias of its input's plain buffer (not a channel shuffle: {})", node.label(), node.opType,
                  shuffle.reason()));
  return Status::success();
}

}  // namespace convopt::codegen
