// Resize's geometry, shared by the reference kernel (resize.cpp) and the
// generated kernels (codegen/lower_resize.cpp): the output shape and, for every
// output coordinate along every axis, the source positions it interpolates with
// their weights. N-D Resize is a tensor product of these 1-D maps.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "runtime/reference/kernel.h"

namespace convopt::runtime::reference {

// Source taps of one output coordinate along one axis.
struct ResizeTaps {
  std::vector<std::pair<int64_t, double>> taps;  // (source index, weight)
  bool outside = false;                          // tf_crop_and_resize outside the image: extrapolation value
};

struct ResizeGeometry {
  std::string mode;  // nearest | linear | cubic
  double extrapolation = 0;
  std::vector<int64_t> outputDims;
  std::vector<std::vector<ResizeTaps>> axes;  // [axis][output coordinate]
};

// Reads Resize's (opsets 10-19) or Upsample's attributes and its roi / scales /
// sizes inputs, whose layout depends on the opset; input 0 (X) is not read,
// `inputDims` are its dims. Fails with InputError on invalid attributes or inputs.
ResizeGeometry resizeGeometry(const KernelContext& ctx, const std::vector<int64_t>& inputDims);

}  // namespace convopt::runtime::reference
