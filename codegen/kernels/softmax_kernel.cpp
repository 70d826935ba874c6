#include "codegen/kernels/softmax_kernel.h"

#include <functional>
#include <limits>

#include "codegen/builder/epilogue_emitter.h"
#include "codegen/builder/kernel_builder.h"

namespace convopt::codegen {

using llvm::Value;

void emitSoftmaxKernel(llvm::Module& module, const std::string& name, const SoftmaxSpec& spec, int vectorWidth) {
  KernelBuilder kb(module, name, vectorWidth);
  llvm::IRBuilder<>& ir = kb.ir();
  Value* input = kb.buffer(kDataBuffers, BufferRole::Input);
  Value* output = kb.buffer(kDataBuffers, BufferRole::Output);
  int64_t full = spec.length / vectorWidth * vectorWidth;
  int tail = int(spec.length % vectorWidth);
  const float lowest = -std::numeric_limits<float>::infinity();
  auto load = [&](llvm::AllocaInst* slot) { return ir.CreateLoad(slot->getAllocatedType(), slot); };
  kb.forLoop(kb.begin(), kb.end(), 1, [&](Value* row) {
    Value* base = ir.CreateMul(row, kb.i64(spec.length));
    // body(offset, lanes) over the row's vectors: the full ones in a loop, then the masked tail.
    // Kept loops: unrolled, the exp's constants and temporaries of several vectors spill on AVX2.
    auto overRow = [&](const std::function<void(Value*, int)>& body) {
      if (full > 0)
        kb.forLoop(
            kb.i64(0), kb.i64(full), vectorWidth, [&](Value* i) { body(ir.CreateAdd(base, i), vectorWidth); },
            KernelBuilder::Unroll::Never);
      if (tail > 0) body(ir.CreateAdd(base, kb.i64(full)), tail);
    };
    llvm::AllocaInst* maximum = kb.vectorVariable(kb.splat(lowest));
    overRow([&](Value* offset, int lanes) {
      ir.CreateStore(kb.max(load(maximum), kb.loadLanes(input, offset, lanes, lowest)), maximum);
    });
    Value* rowMax = kb.acrossLanes(load(maximum), [&](Value* x, Value* y) { return kb.max(x, y); });
    llvm::AllocaInst* sum = kb.vectorVariable(kb.zero());
    overRow([&](Value* offset, int lanes) {
      Value* e = emitExp(kb, ir.CreateFSub(kb.loadLanes(input, offset, lanes), rowMax));
      kb.storeLanes(output, offset, e, lanes);
      if (lanes < vectorWidth) e = ir.CreateSelect(kb.laneMask(lanes), e, kb.zero());
      ir.CreateStore(ir.CreateFAdd(load(sum), e), sum);
    });
    Value* scale = ir.CreateFDiv(kb.splat(1.0f),
                                 kb.acrossLanes(load(sum), [&](Value* x, Value* y) { return ir.CreateFAdd(x, y); }));
    overRow([&](Value* offset, int lanes) {
      kb.storeLanes(output, offset, ir.CreateFMul(kb.loadLanes(output, offset, lanes), scale), lanes);
    });
  });
}

}  // namespace convopt::codegen
