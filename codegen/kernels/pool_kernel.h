// Pooling kernels on blocked 4-D tensors: MaxPool, AveragePool (with or
// without padded positions in the count), GlobalAveragePool and GlobalMaxPool
// (a window covering the whole image).
//
// Buffers: 0 input, 1 output, then residuals of the epilogue. Work unit: one
// output row of one channel block of one image.
#pragma once
#include <string>

#include "codegen/builder/epilogue.h"

namespace llvm {
class Module;
}

namespace convopt::codegen {

struct PoolSpec {
  enum class Kind { Max, Average } kind = Kind::Max;
  int64_t batch = 1, channels = 0, inHeight = 0, inWidth = 0, outHeight = 0, outWidth = 0;
  int64_t kernelH = 1, kernelW = 1, strideH = 1, strideW = 1, dilationH = 1, dilationW = 1;
  int64_t padTop = 0, padLeft = 0, padBottom = 0, padRight = 0;
  bool countIncludePad = false;
  Epilogue epilogue;
  std::string describe() const;
};

void emitPoolKernel(llvm::Module& module, const std::string& name, const PoolSpec& spec, int vectorWidth);
int64_t poolWorkUnits(const PoolSpec& spec, int vectorWidth);

}  // namespace convopt::codegen
