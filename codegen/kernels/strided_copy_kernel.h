// Strided copy kernels on plain (row-major) tensors: output element
// (i_0, .., i_r-1) = input[base + sum_d i_d * strides[d]], every dim, stride
// and the base compile-time constants. Transpose is this with the input's
// strides permuted; Slice with the starts folded into `base` and the steps
// (negative too) into the strides.
//
// Dims of size 1 are dropped and neighbouring dims that walk the input
// contiguously are merged first, so an innermost slice of rows is one copy
// per row. Along the output's innermost dim the copy is vectorized: plain
// (masked) vector loads when the input is contiguous there too, reversed
// loads for a step of -1; when instead an outer output dim is contiguous in the
// input (a transposed innermost axis), V x V tiles: V vector loads along that
// dim, transposed with interleaving shuffles; gathers otherwise (a strided
// slice of the innermost axis). `describe` names the path.
//
// Buffers: input, output. Work unit: one chunk of one output row (plain_rows.h);
// tiles: V rows along the tiled dim for one index of the other outer dims.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace llvm {
class Module;
}

namespace convopt::codegen {

struct StridedCopySpec {
  std::vector<int64_t> dims;     // the output's
  std::vector<int64_t> strides;  // input elements per step along each output dim, any sign
  int64_t base = 0;              // input offset of output element 0

  StridedCopySpec collapsed() const;  // unit dims dropped, contiguous neighbours merged; at least one dim
  std::string describe() const;       // "[120x40] <- strides [1,120], tiled"
};

void emitStridedCopyKernel(llvm::Module& module, const std::string& name, const StridedCopySpec& spec, int vectorWidth);
int64_t stridedCopyWorkUnits(const StridedCopySpec& spec, int vectorWidth);

}  // namespace convopt::codegen
