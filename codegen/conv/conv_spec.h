// One convolution layer with every size and attribute known: what a kernel
// generator specialises on. Tensors inside the compiled region use the blocked
// layout N, ceil(C/V), H, W, V (see runtime/blocked_layout.h).
#pragma once
#include <cstdint>
#include <string>

#include "codegen/builder/epilogue.h"

namespace convopt::codegen {

// Where a convolution's output pixel (oh, ow) is stored: row
// rowOffset + oh*rowStep, column colOffset + ow*colStep of an output of
// height x width pixels. Default (height 0): densely, in an output of the
// conv's own size. A ConvTranspose phase (conv_transpose.h) stores every
// stride-th row and column of the ConvTranspose's output.
struct OutputPlacement {
  int64_t height = 0, width = 0;
  int64_t rowOffset = 0, rowStep = 1, colOffset = 0, colStep = 1;
  bool isDense() const { return height == 0; }
};

struct ConvSpec {
  int64_t batch = 1;
  int64_t inChannels = 0, inHeight = 0, inWidth = 0;
  int64_t outChannels = 0, outHeight = 0, outWidth = 0;
  int64_t kernelH = 1, kernelW = 1;
  int64_t strideH = 1, strideW = 1;
  int64_t dilationH = 1, dilationW = 1;
  int64_t padTop = 0, padLeft = 0, padBottom = 0, padRight = 0;
  int64_t group = 1;
  Epilogue epilogue;
  OutputPlacement placement;

  int64_t inPerGroup() const { return inChannels / group; }
  int64_t outPerGroup() const { return outChannels / group; }
  bool isPointwise() const;  // 1x1, stride 1, no padding
  bool isDepthwise() const { return group == inChannels && group > 1; }
  int64_t storedHeight() const { return placement.isDense() ? outHeight : placement.height; }
  int64_t storedWidth() const { return placement.isDense() ? outWidth : placement.width; }
  int64_t multiplyAdds() const;
  // "conv3x3_s2_d1_g32_c128x56x56_o128": for kernel names and messages.
  std::string describe() const;
};

// The layer a measured choice is keyed by (Target::measuredWinogradTiles and
// measuredConvVariants, engine/winograd_tuning.h and conv_variant_tuning.h):
// the conv's batch, shape, groups and pads, not its epilogue.
std::string convLayerKey(const ConvSpec& spec);

}  // namespace convopt::codegen
