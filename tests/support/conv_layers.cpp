#include "tests/support/conv_layers.h"

namespace convopt::layers {

codegen::ConvSpec specOf(const Layer& l) {
  codegen::ConvSpec s;
  s.inChannels = l.in, s.outChannels = l.out, s.group = l.group;
  s.inHeight = l.height, s.inWidth = l.width ? l.width : l.height;
  s.kernelH = s.kernelW = l.kernel;
  s.strideH = s.strideW = l.stride;
  s.dilationH = s.dilationW = l.dilation;
  s.padTop = l.pads[0], s.padLeft = l.pads[1], s.padBottom = l.pads[2], s.padRight = l.pads[3];
  int64_t extent = (l.kernel - 1) * l.dilation + 1;  // of the dilated kernel
  s.outHeight = (s.inHeight + s.padTop + s.padBottom - extent) / l.stride + 1;
  s.outWidth = (s.inWidth + s.padLeft + s.padRight - extent) / l.stride + 1;
  s.epilogue = l.epilogue;
  return s;
}

// Layer shapes of real models, "same" padded, without epilogues (the
// benchmarks time the conv alone). Adding a layer adds its benchmark and its
// test on every target.
const std::vector<Layer>& layerTable() {
  static const std::vector<Layer> layers = {
      {.name = "dense3x3_c64_56",
       .family = "dense",
       .in = 64,
       .out = 64,
       .height = 56,
       .kernel = 3,
       .pads = {1, 1, 1, 1}},
      {.name = "grouped3x3_c128_g32_56",
       .family = "grouped",
       .in = 128,
       .out = 128,
       .height = 56,
       .kernel = 3,
       .group = 32,
       .pads = {1, 1, 1, 1}},
      {.name = "grouped3x3_c64_g4_56",
       .family = "grouped",
       .in = 64,
       .out = 64,
       .height = 56,
       .kernel = 3,
       .group = 4,
       .pads = {1, 1, 1, 1}},
      {.name = "dw3x3_c144_56_s1",
       .family = "depthwise",
       .in = 144,
       .out = 144,
       .height = 56,
       .kernel = 3,
       .group = 144,
       .pads = {1, 1, 1, 1}},
      {.name = "dw3x3_c144_56_s2",
       .family = "depthwise",
       .in = 144,
       .out = 144,
       .height = 56,
       .kernel = 3,
       .stride = 2,
       .group = 144,
       .pads = {1, 1, 1, 1}},
      {.name = "dw3x3_c384_14",
       .family = "depthwise",
       .in = 384,
       .out = 384,
       .height = 14,
       .kernel = 3,
       .group = 384,
       .pads = {1, 1, 1, 1}},
      {.name = "dw7x7_c96_56",
       .family = "depthwise",
       .in = 96,
       .out = 96,
       .height = 56,
       .kernel = 7,
       .group = 96,
       .pads = {3, 3, 3, 3}},
      {.name = "pw_c32_192_112", .family = "pointwise", .in = 32, .out = 192, .height = 112},
      {.name = "pw_c144_24_56", .family = "pointwise", .in = 144, .out = 24, .height = 56},
      {.name = "pw_c384_64_14", .family = "pointwise", .in = 384, .out = 64, .height = 14},
      {.name = "pw_c480_480_14", .family = "pointwise", .in = 480, .out = 480, .height = 14},
      {.name = "pw_c400_400_7", .family = "pointwise", .in = 400, .out = 400, .height = 7},
  };
  return layers;
}

}  // namespace convopt::layers
