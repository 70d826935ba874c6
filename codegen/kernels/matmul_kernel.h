// GEMM kernels on plain (row-major) tensors: for each matrix of the output's
// batch, C[M,N] = alpha * A[M,K]·B[K,N] + bias, then an Epilogue.
//
// Vectorised over N (contiguous in B and C): a register tile holds `rows` rows
// of A times `blocks` N-vectors of accumulators (tiling.h, matmulTile); each
// reduction step broadcasts one A element per row into the tile's B vectors.
// The last N-vector of a row is masked when N is not a multiple of V.
//
// Buffers (matmulBuffers): A as the input, B as the weights, the bias (if
// any), the output, the epilogue's residuals (each the output's shape). A is [batchA.., M, K] row-major; B is
// [batchB.., K, N] row-major, or, when `packedB`, [batchB..][ceil(N/V)][K][V] (packMatMulB, zero padded). Batch dims
// broadcast numpy-style through per-dim strides. Work unit: one row tile of one column tile of one output matrix (row
// tiles fastest, so consecutive units reuse one B panel).
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "codegen/builder/epilogue.h"
#include "codegen/builder/kernel_abi.h"
#include "codegen/conv/tiling.h"

namespace llvm {
class Module;
}

namespace convopt::codegen {

// Batch strides: where an operand's matrix for output batch index (i_0, i_1, ..)
// starts is sum(i_d * strides[d]) elements (0 along broadcast dims), one stride
// per output batch dim.

// The bias is any tensor that broadcasts to the output: element (i.., m, n) is
// at its batch offset + m*rowStride + n*columnStride (a stride of 0 broadcasts).
struct MatMulBias {
  bool present = false;
  std::vector<int64_t> batchStrides;
  int64_t rowStride = 0, columnStride = 0;
  float scale = 1;  // Gemm's beta when the bias is an activation (constants come scaled)
};

struct MatMulSpec {
  int64_t m = 1, n = 1, k = 1;
  std::vector<int64_t> batchDims;  // the output's leading dims
  std::vector<int64_t> aBatchStrides, bBatchStrides;
  bool packedB = false;
  float alpha = 1;
  MatMulBias bias;
  Epilogue epilogue;
  MatMulTile tile;
  int64_t batchCount() const;
  std::string describe() const;  // for --explain: "[batch] MxKxN tile rowsxblocks packed B + relu"
};

// When every batch matrix shares B and A (and the bias) continue row by row
// from one matrix to the next, the batch is just more rows: M *= batch, no
// batch dims (fuller row tiles). Otherwise leaves `spec` unchanged.
void foldBatchIntoRows(MatMulSpec& spec);

// B [batches][K][N] -> [batches][ceil(N/V)][K][V], columns past N zero, times `scale`.
std::vector<float> packMatMulB(std::span<const float> b, int64_t batches, int64_t k, int64_t n, int vectorWidth,
                               float scale);

inline BufferLayout matmulBuffers(const MatMulSpec& spec) { return {true, spec.bias.present}; }

void emitMatMulKernel(llvm::Module& module, const std::string& name, const MatMulSpec& spec, int vectorWidth);
int64_t matmulWorkUnits(const MatMulSpec& spec, int vectorWidth);

}  // namespace convopt::codegen
