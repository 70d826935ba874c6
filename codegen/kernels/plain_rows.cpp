#include "codegen/kernels/plain_rows.h"
#include "ir/int_math.h"

#include <algorithm>

#include "codegen/builder/kernel_builder.h"

namespace convopt::codegen {

namespace {}  // namespace

PlainRows::PlainRows(int64_t rows, int64_t inner, int vectorWidth)
    : rows(rows),
      inner(inner),
      chunk(std::min(ceilDiv(inner, vectorWidth), kMaxRowChunkVectors) * vectorWidth),
      chunks(ceilDiv(inner, chunk)) {}

void forEachRowVector(KernelBuilder& kb, const PlainRows& rows, const std::function<void(llvm::Value* row)>& rowStart,
                      const std::function<void(llvm::Value* j, int lanes)>& vector) {
  llvm::IRBuilder<>& ir = kb.ir();
  int width = kb.vectorWidth();
  int64_t fullEnd = rows.inner / width * width, tail = rows.inner % width;
  kb.forLoop(kb.begin(), kb.end(), 1, [&](llvm::Value* unit) {
    llvm::Value* row = ir.CreateSDiv(unit, kb.i64(rows.chunks));
    llvm::Value* first = ir.CreateMul(ir.CreateSRem(unit, kb.i64(rows.chunks)), kb.i64(rows.chunk));
    rowStart(row);
    llvm::Value* end = ir.CreateAdd(first, kb.i64(rows.chunk));
    end = ir.CreateSelect(ir.CreateICmpSLT(end, kb.i64(fullEnd)), end, kb.i64(fullEnd));
    kb.forLoop(first, end, width, [&](llvm::Value* j) { vector(j, width); });
    if (tail > 0)
      kb.ifThen(ir.CreateICmpEQ(first, kb.i64((rows.chunks - 1) * rows.chunk)),
                [&] { vector(kb.i64(fullEnd), int(tail)); });
  });
}

}  // namespace convopt::codegen
