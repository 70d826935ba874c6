#include "codegen/kernels/row_placement_kernel.h"

#include "codegen/builder/kernel_abi.h"
#include "codegen/builder/kernel_builder.h"
#include "codegen/kernels/plain_rows.h"

namespace convopt::codegen {

int64_t rowPlacementWorkUnits(const RowPlacementSpec& spec, int vectorWidth) {
  return PlainRows(spec.rows, spec.inner, vectorWidth).units();
}

void emitRowPlacementKernel(llvm::Module& module, const std::string& name, const RowPlacementSpec& spec,
                            int vectorWidth) {
  KernelBuilder kb(module, name, vectorWidth);
  llvm::IRBuilder<>& ir = kb.ir();
  llvm::Value* input = kb.buffer(kDataBuffers, BufferRole::Input);
  llvm::Value* output = kb.buffer(kDataBuffers, BufferRole::Output);
  llvm::Value *from = nullptr, *to = nullptr;
  forEachRowVector(
      kb, PlainRows(spec.rows, spec.inner, vectorWidth),
      [&](llvm::Value* row) {
        from = ir.CreateMul(row, kb.i64(spec.inner));
        to = ir.CreateAdd(ir.CreateMul(row, kb.i64(spec.outputRow)), kb.i64(spec.offset));
      },
      [&](llvm::Value* j, int lanes) {
        kb.storeLanes(output, ir.CreateAdd(to, j), kb.loadLanes(input, ir.CreateAdd(from, j), lanes), lanes);
      });
}

}  // namespace convopt::codegen
