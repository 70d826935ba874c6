// Resize kernels on blocked 4-D tensors (N and C unchanged): nearest (a vector
// copy per output pixel) and bilinear (four loads, three FMAs). Every output row
// and column has its source rows / columns and weights precomputed at compile
// time (runtime/reference/resize_geometry.h) and baked into the kernel as
// constant tables. Rows / columns outside [lo, hi) (tf_crop_and_resize outside
// the image) hold the extrapolation value.
//
// Buffers: 0 input, 1 output, then residuals of the epilogue. Work unit: one
// output row of one channel block of one image.
#pragma once
#include <string>
#include <vector>

#include "codegen/builder/epilogue.h"

namespace llvm {
class Module;
}

namespace convopt::codegen {

// One output coordinate along one axis: w0·src[first] + w1·src[second]
// (nearest: src[first]).
struct ResizeSource {
  int64_t first = 0, second = 0;
  float w0 = 1, w1 = 0;
};

struct ResizeAxisMap {
  std::vector<ResizeSource> sources;  // per output coordinate
  int64_t lo = 0, hi = 0;             // coordinates inside the image
};

struct ResizeSpec {
  int64_t batch = 1, channels = 0, inHeight = 0, inWidth = 0;
  bool linear = false;
  ResizeAxisMap rows, cols;
  float extrapolation = 0;
  Epilogue epilogue;
  int64_t outHeight() const { return int64_t(rows.sources.size()); }
  int64_t outWidth() const { return int64_t(cols.sources.size()); }
  std::string describe() const;  // "nearest_c96x40x40_to_80x80"
};

void emitResizeKernel(llvm::Module& module, const std::string& name, const ResizeSpec& spec, int vectorWidth);
int64_t resizeWorkUnits(const ResizeSpec& spec, int vectorWidth);

}  // namespace convopt::codegen
