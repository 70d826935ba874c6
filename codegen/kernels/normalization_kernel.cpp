#include "codegen/kernels/normalization_kernel.h"

#include <llvm/IR/Intrinsics.h>

#include <functional>

#include "codegen/builder/kernel_abi.h"
#include "codegen/builder/kernel_builder.h"
#include "ir/int_math.h"

namespace convopt::codegen {

using llvm::Value;

void emitNormalizationKernel(llvm::Module& module, const std::string& name, const NormalizationSpec& spec,
                             int vectorWidth) {
  KernelBuilder kb(module, name, vectorWidth);
  llvm::IRBuilder<>& ir = kb.ir();
  Value* input = kb.buffer(kConvBuffers, BufferRole::Input);
  Value* scale = kb.buffer(kConvBuffers, BufferRole::Weights);
  Value* bias = kb.buffer(kConvBuffers, BufferRole::Bias);
  Value* output = kb.buffer(kConvBuffers, BufferRole::Output);
  bool blocked = spec.layout == NormalizationSpec::Layout::BlockedChannels;
  // A group's floats: blocked, a vector per pixel (each lane its own channel); plain, the row.
  int64_t floats = blocked ? spec.length * vectorWidth : spec.length;
  auto* doubles = llvm::FixedVectorType::get(ir.getDoubleTy(), vectorWidth);
  auto load = [&](llvm::AllocaInst* slot) { return ir.CreateLoad(slot->getAllocatedType(), slot); };
  auto add = [&](llvm::AllocaInst* sum, Value* term) { ir.CreateStore(ir.CreateFAdd(load(sum), term), sum); };
  // body(i, lanes) over the vectors of `count` floats from `first`: the full ones
  // in a loop (its trips cut at every `chunk` floats, after(): see meanOf), then the masked tail.
  auto over = [&](Value* first, int64_t count, const std::function<void(Value*, int)>& body, int64_t chunk = 0,
                  const std::function<void()>& after = {}) {
    int64_t full = count / vectorWidth * vectorWidth;
    if (full > 0 && chunk == 0)
      kb.forLoop(
          first, ir.CreateAdd(first, kb.i64(full)), vectorWidth, [&](Value* i) { body(i, vectorWidth); },
          KernelBuilder::Unroll::Never);
    if (full > 0 && chunk > 0)
      kb.forLoop(
          kb.i64(0), kb.i64(full), chunk,
          [&](Value* from) {
            Value* to = ir.CreateSelect(ir.CreateICmpSLT(ir.CreateAdd(from, kb.i64(chunk)), kb.i64(full)),
                                        ir.CreateAdd(from, kb.i64(chunk)), kb.i64(full));
            kb.forLoop(
                ir.CreateAdd(first, from), ir.CreateAdd(first, to), vectorWidth,
                [&](Value* i) { body(i, vectorWidth); }, KernelBuilder::Unroll::Never);
            after();
          },
          KernelBuilder::Unroll::Never);
    if (count > full) body(ir.CreateAdd(first, kb.i64(full)), int(count - full));
  };
  kb.forLoop(kb.begin(), kb.end(), 1, [&](Value* unit) {
    Value* base = ir.CreateMul(unit, kb.i64(floats));
    auto x = [&](Value* i, int lanes) { return kb.loadLanes(input, ir.CreateAdd(base, i), lanes); };
    // The group's mean of term(i, lanes) (0 in lanes past `lanes`): per lane
    // (blocked) or over the lanes (plain). Chunks of kChunk floats are summed in
    // float, the chunks in double: a long plane (a 256x256 instance norm sums
    // 65536 pixels per lane) would otherwise lose the mean's low digits, which
    // dividing by a small deviation magnifies.
    constexpr int64_t kChunk = 512;
    auto meanOf = [&](const std::function<Value*(Value*, int)>& term) {
      llvm::AllocaInst* total = kb.vectorVariable(llvm::Constant::getNullValue(doubles));
      llvm::AllocaInst* partial = kb.vectorVariable(kb.zero());
      auto flush = [&] {
        add(total, ir.CreateFPExt(load(partial), doubles));
        ir.CreateStore(kb.zero(), partial);
      };
      over(
          kb.i64(0), floats, [&](Value* i, int lanes) { add(partial, term(i, lanes)); }, kChunk, flush);
      flush();  // the tail
      Value* sums = load(total);
      if (!blocked) sums = kb.acrossLanes(sums, [&](Value* a, Value* b) { return ir.CreateFAdd(a, b); });
      Value* inverseLength = llvm::ConstantFP::get(doubles, 1.0 / double(spec.length));
      return ir.CreateFPTrunc(ir.CreateFMul(sums, inverseLength), kb.zero()->getType());
    };
    // All in deviations from the group's first value (per lane when blocked),
    // x - pivot exact for data near it: data far from 0 (1000 + z) would
    // otherwise round its sums, and its mean, at 1000's precision (6e-5), and a
    // constant plane's mean comes out exact.
    Value* pivot = blocked ? kb.loadVector(input, base) : kb.loadBroadcast(input, base);
    auto shifted = [&](Value* i, int lanes) {
      Value* d = ir.CreateFSub(x(i, lanes), pivot);
      return lanes < vectorWidth ? ir.CreateSelect(kb.laneMask(lanes), d, kb.zero()) : d;
    };
    Value* shiftedMean = meanOf(shifted);
    auto centered = [&](Value* i, int lanes) { return ir.CreateFSub(shifted(i, lanes), shiftedMean); };
    Value* variance = meanOf([&](Value* i, int lanes) {
      Value* d = centered(i, lanes);
      if (lanes < vectorWidth) d = ir.CreateSelect(kb.laneMask(lanes), d, kb.zero());
      return ir.CreateFMul(d, d);
    });
    Value* inverseDeviation =
        ir.CreateFDiv(kb.splat(1.0f),
                      ir.CreateUnaryIntrinsic(llvm::Intrinsic::sqrt, ir.CreateFAdd(variance, kb.splat(spec.epsilon))));
    // A blocked tensor's padding lanes (past the channels, in the last block) hold
    // zeros: with epsilon 0, 1/sqrt(0) would make them NaN, which a reader's zero weights keep.
    if (blocked && spec.channels % vectorWidth != 0) {
      int64_t blocks = ceilDiv(spec.channels, vectorWidth);
      Value* last = ir.CreateICmpEQ(ir.CreateSRem(unit, kb.i64(blocks)), kb.i64(blocks - 1));
      Value* real = ir.CreateSelect(kb.laneMask(int(spec.channels % vectorWidth)), inverseDeviation, kb.zero());
      inverseDeviation = ir.CreateSelect(last, real, inverseDeviation);
    }
    // y over `count` floats from `first`, with the scale and bias vectors s(i, lanes), b(i, lanes).
    using Parameter = std::function<Value*(Value*, int)>;
    auto normalize = [&](Value* first, int64_t count, const Parameter& s, const Parameter& b) {
      over(first, count, [&](Value* i, int lanes) {
        Value* y = kb.fma(centered(i, lanes), ir.CreateFMul(s(i, lanes), inverseDeviation), b(i, lanes));
        kb.storeLanes(output, ir.CreateAdd(base, i), y, lanes);
      });
    };
    auto uniform = [](Value* v) { return [v](Value*, int) { return v; }; };
    if (blocked) {  // the unit's channel block
      Value* channel =
          ir.CreateMul(ir.CreateSRem(unit, kb.i64(ceilDiv(spec.channels, vectorWidth))), kb.i64(vectorWidth));
      normalize(kb.i64(0), floats, uniform(kb.loadVector(scale, channel)), uniform(kb.loadVector(bias, channel)));
    } else if (spec.run == 0) {  // per element of the row
      normalize(
          kb.i64(0), floats, [&](Value* i, int lanes) { return kb.loadLanes(scale, i, lanes); },
          [&](Value* i, int lanes) { return kb.loadLanes(bias, i, lanes); });
    } else {  // per run
      int64_t runs = spec.length / spec.run;
      kb.forLoop(
          kb.i64(0), kb.i64(runs), 1,
          [&](Value* j) {
            Value* channel = ir.CreateSRem(ir.CreateAdd(ir.CreateMul(unit, kb.i64(runs)), j), kb.i64(spec.channels));
            normalize(ir.CreateMul(j, kb.i64(spec.run)), spec.run, uniform(kb.loadBroadcast(scale, channel)),
                      uniform(kb.loadBroadcast(bias, channel)));
          },
          KernelBuilder::Unroll::Never);
    }
  });
}

}  // namespace convopt::codegen
