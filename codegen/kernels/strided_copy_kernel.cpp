#include "codegen/kernels/strided_copy_kernel.h"
#include "ir/int_math.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "codegen/builder/kernel_builder.h"
#include "codegen/kernels/plain_rows.h"

namespace convopt::codegen {

StridedCopySpec StridedCopySpec::collapsed() const {
  StridedCopySpec result{{}, {}, base};
  for (size_t d = 0; d < dims.size(); ++d) {
    if (dims[d] == 1) continue;
    if (!result.dims.empty() && result.strides.back() == strides[d] * dims[d]) {
      result.dims.back() *= dims[d];
      result.strides.back() = strides[d];
    } else {
      result.dims.push_back(dims[d]);
      result.strides.push_back(strides[d]);
    }
  }
  if (result.dims.empty()) result.dims = {1}, result.strides = {1};
  return result;
}

namespace {

using llvm::Value;

// When the innermost output dim does not walk the input contiguously but an
// outer one does (a transposed pair): that dim, copied in V x V tiles; else -1.
int tiledAxis(const StridedCopySpec& copy) {
  int64_t inner = copy.strides.back();
  if (inner == 1 || inner == -1) return -1;
  for (size_t d = copy.dims.size() - 1; d-- > 0;)
    if (copy.strides[d] == 1) return int(d);
  return -1;
}

const char* pathName(const StridedCopySpec& copy) {
  int64_t inner = copy.strides.back();
  return inner == 1 ? "contiguous" : inner == -1 ? "reversed" : tiledAxis(copy) >= 0 ? "tiled" : "gather";
}

PlainRows rowsOf(const StridedCopySpec& copy, int vectorWidth) {
  int64_t rows = 1;
  for (size_t d = 0; d + 1 < copy.dims.size(); ++d) rows *= copy.dims[d];
  return PlainRows(rows, copy.dims.back(), vectorWidth);
}

// Output rows of V elements, vectorized along the innermost dim (loadStrided).
void emitRows(KernelBuilder& kb, const StridedCopySpec& copy) {
  llvm::IRBuilder<>& ir = kb.ir();
  PlainRows rows = rowsOf(copy, kb.vectorWidth());
  int64_t innerStride = copy.strides.back();
  Value* input = kb.buffer(kDataBuffers, BufferRole::Input);
  Value* output = kb.buffer(kDataBuffers, BufferRole::Output);
  Value *inRow = nullptr, *outRow = nullptr;
  auto rowStart = [&](Value* row) {
    outRow = ir.CreateMul(row, kb.i64(rows.inner));
    inRow = kb.i64(copy.base);
    for (size_t d = copy.dims.size() - 1; d-- > 0;) {  // the row's index along each outer dim
      Value* index = ir.CreateSRem(row, kb.i64(copy.dims[d]));
      row = ir.CreateSDiv(row, kb.i64(copy.dims[d]));
      inRow = ir.CreateAdd(inRow, ir.CreateMul(index, kb.i64(copy.strides[d])));
    }
  };
  auto vector = [&](Value* j, int lanes) {
    Value* from = ir.CreateAdd(inRow, ir.CreateMul(j, kb.i64(innerStride)));
    kb.storeLanes(output, ir.CreateAdd(outRow, j), kb.loadStrided(input, from, innerStride, lanes), lanes);
  };
  forEachRowVector(kb, rows, rowStart, vector);
}

// The V x V matrix `rows` transposed: log2(V) rounds of interleaving row i with
// row i + V/2 into rows 2i and 2i+1, each rotating the bits of the element
// index (row, column) left by one.
std::vector<Value*> transposeTile(KernelBuilder& kb, std::vector<Value*> rows) {
  int width = kb.vectorWidth(), half = width / 2;
  std::vector<int> low(width), high(width);
  for (int k = 0; k < half; ++k)
    low[2 * k] = k, low[2 * k + 1] = width + k, high[2 * k] = half + k, high[2 * k + 1] = width + half + k;
  for (int round = 1; round < width; round *= 2) {
    std::vector<Value*> next(width);
    for (int i = 0; i < half; ++i) {
      next[2 * i] = kb.ir().CreateShuffleVector(rows[i], rows[i + half], low);
      next[2 * i + 1] = kb.ir().CreateShuffleVector(rows[i], rows[i + half], high);
    }
    rows = std::move(next);
  }
  return rows;
}

struct Tiles {
  int axis;                         // the output dim contiguous in the input
  std::vector<int64_t> outStrides;  // row-major over the collapsed dims
  std::vector<size_t> others;       // dims neither `axis` nor the innermost
  int64_t blocks, outer;            // V-row blocks along `axis`; indices of the other dims
};

Tiles tilesOf(const StridedCopySpec& copy, int axis, int vectorWidth) {
  Tiles t{axis, std::vector<int64_t>(copy.dims.size(), 1), {}, ceilDiv(copy.dims[axis], vectorWidth), 1};
  for (size_t d = copy.dims.size() - 1; d-- > 0;) t.outStrides[d] = t.outStrides[d + 1] * copy.dims[d + 1];
  for (size_t d = 0; d + 1 < copy.dims.size(); ++d)
    if (int(d) != axis) t.others.push_back(d), t.outer *= copy.dims[d];
  return t;
}

// Work unit: V output rows along the tiled axis (one block) for one index of the
// other outer dims, all columns: V input vectors along the tiled axis, one per
// column, transposed into V output row vectors. Partial blocks and column tails are masked.
void emitTiles(KernelBuilder& kb, const StridedCopySpec& copy, const Tiles& t) {
  llvm::IRBuilder<>& ir = kb.ir();
  int width = kb.vectorWidth();
  int64_t columns = copy.dims.back(), fullColumns = columns / width * width, columnStride = copy.strides.back();
  int64_t rowStride = t.outStrides[t.axis], partialRows = copy.dims[t.axis] % width;
  Value* input = kb.buffer(kDataBuffers, BufferRole::Input);
  Value* output = kb.buffer(kDataBuffers, BufferRole::Output);
  kb.forLoop(kb.begin(), kb.end(), 1, [&](Value* unit) {
    Value* block = ir.CreateSRem(unit, kb.i64(t.blocks));
    Value* outer = ir.CreateSDiv(unit, kb.i64(t.blocks));
    Value* inBase = ir.CreateAdd(kb.i64(copy.base), ir.CreateMul(block, kb.i64(width)));
    Value* outBase = ir.CreateMul(block, kb.i64(width * rowStride));
    for (auto d = t.others.rbegin(); d != t.others.rend(); ++d) {
      Value* index = ir.CreateSRem(outer, kb.i64(copy.dims[*d]));
      outer = ir.CreateSDiv(outer, kb.i64(copy.dims[*d]));
      inBase = ir.CreateAdd(inBase, ir.CreateMul(index, kb.i64(copy.strides[*d])));
      outBase = ir.CreateAdd(outBase, ir.CreateMul(index, kb.i64(t.outStrides[*d])));
    }
    auto blockOf = [&](int rows) {
      auto tile = [&](Value* j, int lanes) {
        std::vector<Value*> vectors(width, kb.zero());
        for (int c = 0; c < lanes; ++c) {
          Value* column = ir.CreateAdd(j, kb.i64(c));
          vectors[c] = kb.loadLanes(input, ir.CreateAdd(inBase, ir.CreateMul(column, kb.i64(columnStride))), rows);
        }
        std::vector<Value*> transposed = transposeTile(kb, vectors);
        for (int r = 0; r < rows; ++r)
          kb.storeLanes(output, ir.CreateAdd(ir.CreateAdd(outBase, kb.i64(r * rowStride)), j), transposed[r], lanes);
      };
      if (fullColumns > 0) kb.forLoop(kb.i64(0), kb.i64(fullColumns), width, [&](Value* j) { tile(j, width); });
      if (columns > fullColumns) tile(kb.i64(fullColumns), int(columns - fullColumns));
    };
    if (partialRows == 0) return blockOf(width);
    Value* last = ir.CreateICmpEQ(block, kb.i64(t.blocks - 1));
    kb.ifThen(last, [&] { blockOf(int(partialRows)); });
    kb.ifThen(ir.CreateNot(last), [&] { blockOf(width); });
  });
}

}  // namespace

std::string StridedCopySpec::describe() const {
  StridedCopySpec copy = collapsed();
  return fmt::format("[{}] <- strides [{}], {}", fmt::join(copy.dims, "x"), fmt::join(copy.strides, ","),
                     pathName(copy));
}

int64_t stridedCopyWorkUnits(const StridedCopySpec& spec, int vectorWidth) {
  StridedCopySpec copy = spec.collapsed();
  int axis = tiledAxis(copy);
  if (axis >= 0) {
    Tiles t = tilesOf(copy, axis, vectorWidth);
    return t.outer * t.blocks;
  }
  return rowsOf(copy, vectorWidth).units();
}

void emitStridedCopyKernel(llvm::Module& module, const std::string& name, const StridedCopySpec& spec,
                           int vectorWidth) {
  KernelBuilder kb(module, name, vectorWidth);
  StridedCopySpec copy = spec.collapsed();
  int axis = tiledAxis(copy);
  if (axis >= 0)
    emitTiles(kb, copy, tilesOf(copy, axis, vectorWidth));
  else
    emitRows(kb, copy);
}

}  // namespace convopt::codegen
