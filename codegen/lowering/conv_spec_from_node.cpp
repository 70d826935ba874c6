#include "codegen/lowering/conv_spec_from_node.h"

#include <algorithm>

#include "ir/error.h"

namespace convopt::codegen {

namespace {

std::vector<int64_t> staticShape(const ir::Node& node, const ir::Value* value) {
  if (!value || !value->type.hasStaticShape() || value->type.shape->size() != 4)
    throwInputError("node {}: needs a static 4-D shape for '{}'", node.label(), value ? value->name() : "?");
  return value->type.staticShape();
}

}  // namespace

ConvSpec convSpecFromNode(const ir::Node& node) {
  std::vector<int64_t> in = staticShape(node, node.input(0));
  std::vector<int64_t> w = staticShape(node, node.input(1));
  std::vector<int64_t> out = staticShape(node, node.output(0));
  ConvSpec spec;
  spec.batch = in[0];
  spec.inChannels = in[1], spec.inHeight = in[2], spec.inWidth = in[3];
  spec.outChannels = out[1], spec.outHeight = out[2], spec.outWidth = out[3];
  spec.kernelH = w[2], spec.kernelW = w[3];
  spec.group = node.getInt("group", 1);
  std::vector<int64_t> strides = node.getInts("strides", {1, 1});
  std::vector<int64_t> dilations = node.getInts("dilations", {1, 1});
  std::vector<int64_t> pads = node.getInts("pads", {0, 0, 0, 0});
  if (strides.size() != 2 || dilations.size() != 2 || pads.size() != 4)
    throwInputError("node {}: strides/dilations/pads do not match a 2-D convolution", node.label());
  spec.strideH = strides[0], spec.strideW = strides[1];
  spec.dilationH = dilations[0], spec.dilationW = dilations[1];
  spec.padTop = pads[0], spec.padLeft = pads[1], spec.padBottom = pads[2], spec.padRight = pads[3];
  std::string autoPad = node.getString("auto_pad", "NOTSET");
  if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
    auto split = [&](int64_t inSize, int64_t outSize, int64_t stride, int64_t dilation, int64_t k, int64_t& lo,
                     int64_t& hi) {
      int64_t total = std::max<int64_t>(0, (outSize - 1) * stride + (k - 1) * dilation + 1 - inSize);
      lo = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
      hi = total - lo;
    };
    split(spec.inHeight, spec.outHeight, spec.strideH, spec.dilationH, spec.kernelH, spec.padTop, spec.padBottom);
    split(spec.inWidth, spec.outWidth, spec.strideW, spec.dilationW, spec.kernelW, spec.padLeft, spec.padRight);
  } else if (autoPad == "VALID") {
    spec.padTop = spec.padLeft = spec.padBottom = spec.padRight = 0;
  }
  if (spec.group <= 0 || spec.inChannels % spec.group || spec.outChannels % spec.group || w[1] != spec.inPerGroup() ||
      w[0] != spec.outChannels)
    throwInputError("node {}: weight shape does not fit the input channels and group", node.label());
  return spec;
}

}  // namespace convopt::codegen
