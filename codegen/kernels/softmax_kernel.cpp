#include "codegen/kernels/softmax_kernel.h"

#include <functional>
#include <limits>

#include "codegen/builder/epilogue_emitter.h"
#include "codegen/builder/kernel_builder.h"
#include "ir/int_math.h"

namespace convopt::codegen {

using llvm::Value;

int64_t softmaxWorkUnits(const SoftmaxSpec& spec, int vectorWidth) {
  return spec.rows * (spec.inner == 1 ? 1 : ceilDiv(spec.inner, vectorWidth));
}

namespace {

// A softmax per lane over `length` vectors from `base`, `inner` floats apart; `lanes` of them used.
void emitColumns(KernelBuilder& kb, Value* input, Value* output, Value* base, const SoftmaxSpec& spec, int lanes) {
  llvm::IRBuilder<>& ir = kb.ir();
  const float lowest = -std::numeric_limits<float>::infinity();
  auto load = [&](llvm::AllocaInst* slot) { return ir.CreateLoad(slot->getAllocatedType(), slot); };
  auto overColumn = [&](const std::function<void(Value*)>& body) {
    kb.forLoop(
        kb.i64(0), kb.i64(spec.length), 1,
        [&](Value* k) { body(ir.CreateAdd(base, ir.CreateMul(k, kb.i64(spec.inner)))); }, KernelBuilder::Unroll::Never);
  };
  llvm::AllocaInst* maximum = kb.vectorVariable(kb.splat(lowest));
  overColumn(
      [&](Value* at) { ir.CreateStore(kb.max(load(maximum), kb.loadLanes(input, at, lanes, lowest)), maximum); });
  Value* columnMax = load(maximum);
  llvm::AllocaInst* sum = kb.vectorVariable(kb.zero());
  overColumn([&](Value* at) {
    Value* e = emitExp(kb, ir.CreateFSub(kb.loadLanes(input, at, lanes), columnMax));
    kb.storeLanes(output, at, e, lanes);
    ir.CreateStore(ir.CreateFAdd(load(sum), e), sum);
  });
  Value* scale = ir.CreateFDiv(kb.splat(1.0f), load(sum));
  overColumn(
      [&](Value* at) { kb.storeLanes(output, at, ir.CreateFMul(kb.loadLanes(output, at, lanes), scale), lanes); });
}

}  // namespace

void emitSoftmaxKernel(llvm::Module& module, const std::string& name, const SoftmaxSpec& spec, int vectorWidth) {
  KernelBuilder kb(module, name, vectorWidth);
  llvm::IRBuilder<>& ir = kb.ir();
  Value* input = kb.buffer(kDataBuffers, BufferRole::Input);
  Value* output = kb.buffer(kDataBuffers, BufferRole::Output);
  if (spec.inner > 1) {
    int64_t blocks = ceilDiv(spec.inner, vectorWidth);
    int tail = int(spec.inner % vectorWidth);
    kb.forLoop(kb.begin(), kb.end(), 1, [&](Value* unit) {
      Value* block = ir.CreateSRem(unit, kb.i64(blocks));
      Value* base = ir.CreateAdd(ir.CreateMul(ir.CreateSDiv(unit, kb.i64(blocks)), kb.i64(spec.length * spec.inner)),
                                 ir.CreateMul(block, kb.i64(vectorWidth)));
      if (tail == 0) return emitColumns(kb, input, output, base, spec, vectorWidth);
      Value* last = ir.CreateICmpEQ(block, kb.i64(blocks - 1));
      kb.ifThen(ir.CreateNot(last), [&] { emitColumns(kb, input, output, base, spec, vectorWidth); });
      kb.ifThen(last, [&] { emitColumns(kb, input, output, base, spec, tail); });
    });
    return;
  }
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
