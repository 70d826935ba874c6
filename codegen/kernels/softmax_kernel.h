// Softmax kernels on plain tensors, along the innermost (contiguous) axis:
// each of `rows` rows of `length` floats becomes exp(x - max) / sum(exp(x - max)).
// Three passes over the row (max, exponentials stored and summed, scale);
// the row's tail past a multiple of V is masked; exp is the epilogue's vector
// polynomial (epilogue_emitter.h).
//
// Buffers: input, output. Work unit: one row.
#pragma once
#include <cstdint>
#include <string>

namespace llvm {
class Module;
}

namespace convopt::codegen {

struct SoftmaxSpec {
  int64_t rows = 1, length = 1;
};

void emitSoftmaxKernel(llvm::Module& module, const std::string& name, const SoftmaxSpec& spec, int vectorWidth);
inline int64_t softmaxWorkUnits(const SoftmaxSpec& spec) { return spec.rows; }

}  // namespace convopt::codegen
