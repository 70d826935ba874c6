// Reduction kernels on plain (row-major) tensors of any rank: ReduceSum /
// ReduceMean / ReduceMax / ReduceMin over any set of axes, the output in
// row-major order of the kept axes (keepdims only changes the shape, not the
// bytes). Dims of size 1 are dropped and neighbouring dims that are both
// reduced or both kept are merged first, leaving alternating groups.
//  - Innermost group kept (length K): vectorized along it; each output vector
//    accumulates one input vector per reduced index (loops over the reduced
//    groups). Work unit: one chunk of one output row of K (plain_rows.h).
//  - Innermost group reduced (length L): one output element per work unit; the
//    L contiguous elements are read as vectors (masked tail filled with the
//    reduction's identity) for each index of the outer reduced groups, then
//    folded across lanes.
// Sums accumulate in float; Mean divides by the reduced element count.
//
// Buffers: input, output.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace llvm {
class Module;
}

namespace convopt::codegen {

enum class ReduceKind { Sum, Mean, Max, Min };

struct ReduceSpec {
  ReduceKind kind = ReduceKind::Sum;
  std::vector<int64_t> dims;  // the input's
  std::vector<bool> reduced;  // per input dim

  std::string describe() const;  // "mean [40x120] over 120"
};

void emitReduceKernel(llvm::Module& module, const std::string& name, const ReduceSpec& spec, int vectorWidth);
int64_t reduceWorkUnits(const ReduceSpec& spec, int vectorWidth);

}  // namespace convopt::codegen
