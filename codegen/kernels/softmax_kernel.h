// Softmax kernels on plain tensors [rows, length, inner], along the middle
// axis: each of the rows x inner softmaxes of `length` floats becomes
// exp(x - max) / sum(exp(x - max)). Three passes (max, exponentials stored and
// summed, scale); exp is the epilogue's vector polynomial (epilogue_emitter.h).
// inner = 1 (the innermost axis, contiguous): a vector runs along the row, its
// tail past a multiple of V masked, and the lanes are reduced. Otherwise (a
// channel softmax of NCHW logits, a detection head's distribution axis) each
// lane is a softmax of its own: a vector holds V neighbouring columns, read a
// row of `inner` floats apart, the last block of columns masked.
//
// Buffers: input, output. Work unit: one row (inner = 1), else one block of V
// columns of one row.
#pragma once
#include <cstdint>
#include <string>

namespace llvm {
class Module;
}

namespace convopt::codegen {

struct SoftmaxSpec {
  int64_t rows = 1, length = 1, inner = 1;
};

void emitSoftmaxKernel(llvm::Module& module, const std::string& name, const SoftmaxSpec& spec, int vectorWidth);
int64_t softmaxWorkUnits(const SoftmaxSpec& spec, int vectorWidth);

}  // namespace convopt::codegen
