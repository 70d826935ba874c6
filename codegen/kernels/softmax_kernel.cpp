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

// body(offset, lanes) for each vector of one softmax's elements.
using Visit = std::function<void(Value*, int)>;

// The three passes (max, exponentials stored and summed, scale) over the vectors
// `over` visits: one softmax per lane, or with `acrossLanes` one over all of them.
void emitPasses(KernelBuilder& kb, Value* input, Value* output, const std::function<void(const Visit&)>& over,
                bool acrossLanes) {
  llvm::IRBuilder<>& ir = kb.ir();
  const float lowest = -std::numeric_limits<float>::infinity();
  auto load = [&](llvm::AllocaInst* slot) { return ir.CreateLoad(slot->getAllocatedType(), slot); };
  auto reduce = [&](Value* v, const std::function<Value*(Value*, Value*)>& op) {
    return acrossLanes ? kb.acrossLanes(v, op) : v;
  };
  llvm::AllocaInst* maximum = kb.vectorVariable(kb.splat(lowest));
  over([&](Value* at, int lanes) {
    ir.CreateStore(kb.max(load(maximum), kb.loadLanes(input, at, lanes, lowest)), maximum);
  });
  Value* max = reduce(load(maximum), [&](Value* x, Value* y) { return kb.max(x, y); });
  llvm::AllocaInst* sum = kb.vectorVariable(kb.zero());
  over([&](Value* at, int lanes) {
    Value* e = emitExp(kb, ir.CreateFSub(kb.loadLanes(input, at, lanes), max));
    kb.storeLanes(output, at, e, lanes);
    if (lanes < kb.vectorWidth()) e = ir.CreateSelect(kb.laneMask(lanes), e, kb.zero());
    ir.CreateStore(ir.CreateFAdd(load(sum), e), sum);
  });
  Value* scale =
      ir.CreateFDiv(kb.splat(1.0f), reduce(load(sum), [&](Value* x, Value* y) { return ir.CreateFAdd(x, y); }));
  over([&](Value* at, int lanes) {
    kb.storeLanes(output, at, ir.CreateFMul(kb.loadLanes(output, at, lanes), scale), lanes);
  });
}

}  // namespace

void emitSoftmaxKernel(llvm::Module& module, const std::string& name, const SoftmaxSpec& spec, int vectorWidth) {
  KernelBuilder kb(module, name, vectorWidth);
  llvm::IRBuilder<>& ir = kb.ir();
  Value* input = kb.buffer(kDataBuffers, BufferRole::Input);
  Value* output = kb.buffer(kDataBuffers, BufferRole::Output);
  // Kept loops: unrolled, the exp's constants and temporaries of several vectors spill on AVX2.
  auto loop = [&](Value* first, int64_t count, int64_t step, const std::function<void(Value*)>& body) {
    kb.forLoop(first, ir.CreateAdd(first, kb.i64(count)), step, body, KernelBuilder::Unroll::Never);
  };
  if (spec.inner > 1) {  // a unit: V columns of a row, `inner` floats apart along the axis
    int64_t blocks = ceilDiv(spec.inner, vectorWidth);
    int tail = int(spec.inner % vectorWidth);
    kb.forLoop(kb.begin(), kb.end(), 1, [&](Value* unit) {
      Value* block = ir.CreateSRem(unit, kb.i64(blocks));
      Value* base = ir.CreateAdd(ir.CreateMul(ir.CreateSDiv(unit, kb.i64(blocks)), kb.i64(spec.length * spec.inner)),
                                 ir.CreateMul(block, kb.i64(vectorWidth)));
      auto columns = [&](int lanes) {
        emitPasses(
            kb, input, output,
            [&](const Visit& body) {
              loop(base, spec.length * spec.inner, spec.inner, [&](Value* at) { body(at, lanes); });
            },
            false);
      };
      if (tail == 0) return columns(vectorWidth);
      Value* last = ir.CreateICmpEQ(block, kb.i64(blocks - 1));
      if (blocks > 1) kb.ifThen(ir.CreateNot(last), [&] { columns(vectorWidth); });
      kb.ifThen(last, [&] { columns(tail); });
    });
    return;
  }
  int64_t full = spec.length / vectorWidth * vectorWidth;
  int tail = int(spec.length % vectorWidth);
  kb.forLoop(kb.begin(), kb.end(), 1, [&](Value* row) {  // a unit: a row, its vectors then its masked tail
    Value* base = ir.CreateMul(row, kb.i64(spec.length));
    emitPasses(
        kb, input, output,
        [&](const Visit& body) {
          if (full > 0) loop(base, full, vectorWidth, [&](Value* at) { body(at, vectorWidth); });
          if (tail > 0) body(ir.CreateAdd(base, kb.i64(full)), tail);
        },
        true);
  });
}

}  // namespace convopt::codegen
