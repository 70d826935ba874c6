// How plain-layout (row-major) kernels walk their output: rows of `inner`
// contiguous elements, each cut into chunks of at most kMaxRowChunkVectors
// vectors so that a large tensor of few rows still spreads over threads.
// Work unit: one chunk of one row. Shared by the plain elementwise, strided
// copy and reduction kernels.
#pragma once
#include <cstdint>
#include <functional>

namespace llvm {
class Value;
}

namespace convopt::codegen {

class KernelBuilder;

inline constexpr int64_t kMaxRowChunkVectors = 256;

struct PlainRows {
  PlainRows(int64_t rows, int64_t inner, int vectorWidth);
  int64_t rows, inner, chunk, chunks;
  int64_t units() const { return rows * chunks; }
};

// For each work unit of kb's range: rowStart(row) once, then vector(j, lanes)
// for each vector of the unit's chunk (j = its first element in the row) —
// full vectors in a loop, then the row's masked tail (lanes < V) in its last chunk.
void forEachRowVector(KernelBuilder& kb, const PlainRows& rows, const std::function<void(llvm::Value* row)>& rowStart,
                      const std::function<void(llvm::Value* j, int lanes)>& vector);

}  // namespace convopt::codegen
