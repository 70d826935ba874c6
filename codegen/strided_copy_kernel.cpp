#include "codegen/strided_copy_kernel.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "codegen/kernel_builder.h"
#include "codegen/plain_rows.h"

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

std::string StridedCopySpec::describe() const {
  StridedCopySpec copy = collapsed();
  return fmt::format("[{}] <- strides [{}]", fmt::join(copy.dims, "x"), fmt::join(copy.strides, ","));
}

namespace {

PlainRows rowsOf(const StridedCopySpec& copy, int vectorWidth) {
  int64_t rows = 1;
  for (size_t d = 0; d + 1 < copy.dims.size(); ++d) rows *= copy.dims[d];
  return PlainRows(rows, copy.dims.back(), vectorWidth);
}

}  // namespace

int64_t stridedCopyWorkUnits(const StridedCopySpec& spec, int vectorWidth) {
  return rowsOf(spec.collapsed(), vectorWidth).units();
}

void emitStridedCopyKernel(llvm::Module& module, const std::string& name, const StridedCopySpec& spec,
                           int vectorWidth) {
  KernelBuilder kb(module, name, vectorWidth);
  llvm::IRBuilder<>& ir = kb.ir();
  StridedCopySpec copy = spec.collapsed();
  PlainRows rows = rowsOf(copy, vectorWidth);
  int64_t innerStride = copy.strides.back();
  llvm::Value* input = kb.buffer(0);
  llvm::Value* output = kb.buffer(1);
  llvm::Value *inRow = nullptr, *outRow = nullptr;
  auto rowStart = [&](llvm::Value* row) {
    outRow = ir.CreateMul(row, kb.i64(rows.inner));
    inRow = kb.i64(copy.base);
    for (size_t d = copy.dims.size() - 1; d-- > 0;) {  // the row's index along each outer dim
      llvm::Value* index = ir.CreateSRem(row, kb.i64(copy.dims[d]));
      row = ir.CreateSDiv(row, kb.i64(copy.dims[d]));
      inRow = ir.CreateAdd(inRow, ir.CreateMul(index, kb.i64(copy.strides[d])));
    }
  };
  auto vector = [&](llvm::Value* j, int lanes) {
    llvm::Value* from = ir.CreateAdd(inRow, ir.CreateMul(j, kb.i64(innerStride)));
    kb.storeLanes(output, ir.CreateAdd(outRow, j), kb.loadStrided(input, from, innerStride, lanes), lanes);
  };
  forEachRowVector(kb, rows, rowStart, vector);
}

}  // namespace convopt::codegen
