#include "codegen/conv/conv_spec.h"

#include <fmt/format.h>

namespace convopt::codegen {

bool ConvSpec::isPointwise() const {
  return kernelH == 1 && kernelW == 1 && strideH == 1 && strideW == 1 && padTop == 0 && padLeft == 0 &&
         padBottom == 0 && padRight == 0;
}

int64_t ConvSpec::multiplyAdds() const {
  return batch * outChannels * outHeight * outWidth * inPerGroup() * kernelH * kernelW;
}

std::string ConvSpec::describe() const {
  // "2" when both axes agree, "1x2" (height x width) when they differ.
  auto axes = [](int64_t h, int64_t w) { return h == w ? fmt::format("{}", h) : fmt::format("{}x{}", h, w); };
  return fmt::format("conv{}x{}_s{}_d{}_g{}_c{}x{}x{}_o{}", kernelH, kernelW, axes(strideH, strideW),
                     axes(dilationH, dilationW), group, inChannels, inHeight, inWidth, outChannels);
}

std::string convLayerKey(const ConvSpec& spec) {
  return fmt::format("n{}_{}_p{}_{}_{}_{}", spec.batch, spec.describe(), spec.padTop, spec.padLeft, spec.padBottom,
                     spec.padRight);
}

}  // namespace convopt::codegen
