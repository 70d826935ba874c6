#include "codegen/kernels/weight_scale_kernel.h"

#include "codegen/builder/kernel_builder.h"

namespace convopt::codegen {

void emitWeightScaleKernel(llvm::Module& module, const std::string& name, const WeightScaleSpec& spec,
                           int vectorWidth) {
  KernelBuilder kb(module, name, vectorWidth);
  llvm::IRBuilder<>& ir = kb.ir();
  llvm::Value *weights = kb.buffer(0), *scale = kb.buffer(1), *scaled = kb.buffer(2);
  kb.forLoop(kb.begin(), kb.end(), 1, [&](llvm::Value* block) {
    llvm::Value* first = ir.CreateMul(block, kb.i64(spec.taps * spec.inChannels));
    kb.forLoop(
        kb.i64(0), kb.i64(spec.taps), 1,
        [&](llvm::Value* tap) {
          llvm::Value* tapRow = ir.CreateAdd(first, ir.CreateMul(tap, kb.i64(spec.inChannels)));
          kb.forLoop(kb.i64(0), kb.i64(spec.inChannels), 1, [&](llvm::Value* j) {
            llvm::Value* offset = ir.CreateMul(ir.CreateAdd(tapRow, j), kb.i64(vectorWidth));
            kb.storeVector(scaled, offset, ir.CreateFMul(kb.loadVector(weights, offset), kb.loadBroadcast(scale, j)));
          });
        },
        KernelBuilder::Unroll::Never);
  });
}

}  // namespace convopt::codegen
