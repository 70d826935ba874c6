#include "codegen/kernels/normalization_kernel.h"

#include <llvm/IR/Intrinsics.h>

#include <functional>

#include "codegen/builder/kernel_abi.h"
#include "codegen/builder/kernel_builder.h"
#include "ir/int_math.h"

namespace convopt::codegen {

using llvm::Value;

namespace {

// A vector of the group at float i (from the group's start), its first `lanes` lanes used.
using Term = std::function<Value*(Value*, int)>;

// One group per work unit: its mean and variance from deviations of the
// group's first value, then y.
class NormalizationEmitter {
 public:
  NormalizationEmitter(KernelBuilder& kb, const NormalizationSpec& spec)
      : kb_(kb),
        ir_(kb.ir()),
        spec_(spec),
        width_(kb.vectorWidth()),
        blocked_(spec.layout == NormalizationSpec::Layout::BlockedChannels),
        floats_(blocked_ ? spec.length * width_ : spec.length),  // blocked: a vector per pixel
        doubles_(llvm::FixedVectorType::get(ir_.getDoubleTy(), width_)),
        input_(kb.buffer(kConvBuffers, BufferRole::Input)),
        scale_(kb.buffer(kConvBuffers, BufferRole::Weights)),
        bias_(kb.buffer(kConvBuffers, BufferRole::Bias)),
        output_(kb.buffer(kConvBuffers, BufferRole::Output)) {}

  void emitUnit(Value* unit) {
    base_ = ir_.CreateMul(unit, kb_.i64(floats_));
    // x - pivot is exact for data near it: data far from 0 (1000 + z) would
    // otherwise round its sums, and its mean, at 1000's precision (6e-5), and a
    // constant plane's mean comes out exact.
    Value* pivot = blocked_ ? kb_.loadVector(input_, base_) : kb_.loadBroadcast(input_, base_);
    Term shifted = [this, pivot](Value* i, int lanes) { return masked(ir_.CreateFSub(x(i, lanes), pivot), lanes); };
    Value* shiftedMean = meanOf(shifted);
    centered_ = [this, shifted, shiftedMean](Value* i, int lanes) {
      return ir_.CreateFSub(shifted(i, lanes), shiftedMean);
    };
    Value* variance = meanOf([this](Value* i, int lanes) {
      Value* d = masked(centered_(i, lanes), lanes);
      return ir_.CreateFMul(d, d);
    });
    inverseDeviation_ = inverseDeviation(unit, variance);
    normalizeGroup(unit);
  }

 private:
  Value* x(Value* i, int lanes) { return kb_.loadLanes(input_, ir_.CreateAdd(base_, i), lanes); }
  Value* masked(Value* v, int lanes) {
    return lanes < width_ ? ir_.CreateSelect(kb_.laneMask(lanes), v, kb_.zero()) : v;
  }
  Value* load(llvm::AllocaInst* slot) { return ir_.CreateLoad(slot->getAllocatedType(), slot); }
  void add(llvm::AllocaInst* sum, Value* term) { ir_.CreateStore(ir_.CreateFAdd(load(sum), term), sum); }

  // body(i, lanes) over the vectors of `count` floats from `first`: the full ones
  // in a loop (its trips cut every `chunk` floats, then after()), then the masked tail.
  void over(Value* first, int64_t count, const std::function<void(Value*, int)>& body, int64_t chunk = 0,
            const std::function<void()>& after = {}) {
    int64_t full = count / width_ * width_;
    auto vectors = [&](Value* from, Value* to) {
      kb_.forLoop(
          from, to, width_, [&](Value* i) { body(i, width_); }, KernelBuilder::Unroll::Never);
    };
    if (full > 0 && chunk == 0) vectors(first, ir_.CreateAdd(first, kb_.i64(full)));
    if (full > 0 && chunk > 0)
      kb_.forLoop(
          kb_.i64(0), kb_.i64(full), chunk,
          [&](Value* from) {
            Value* next = ir_.CreateAdd(from, kb_.i64(chunk));
            Value* to = ir_.CreateSelect(ir_.CreateICmpSLT(next, kb_.i64(full)), next, kb_.i64(full));
            vectors(ir_.CreateAdd(first, from), ir_.CreateAdd(first, to));
            after();
          },
          KernelBuilder::Unroll::Never);
    if (count > full) body(ir_.CreateAdd(first, kb_.i64(full)), int(count - full));
  }

  // The group's mean of `term`: per lane (blocked) or over the lanes (plain).
  // Chunks of kChunk floats are summed in float, the chunks in double: a long
  // plane (a 256x256 instance norm sums 65536 pixels per lane) would otherwise
  // lose the mean's low digits, which dividing by a small deviation magnifies.
  Value* meanOf(const Term& term) {
    constexpr int64_t kChunk = 512;
    llvm::AllocaInst* total = kb_.vectorVariable(llvm::Constant::getNullValue(doubles_));
    llvm::AllocaInst* partial = kb_.vectorVariable(kb_.zero());
    auto flush = [&] {
      add(total, ir_.CreateFPExt(load(partial), doubles_));
      ir_.CreateStore(kb_.zero(), partial);
    };
    over(
        kb_.i64(0), floats_, [&](Value* i, int lanes) { add(partial, term(i, lanes)); }, kChunk, flush);
    flush();  // the tail
    Value* sums = load(total);
    if (!blocked_) sums = kb_.acrossLanes(sums, [&](Value* a, Value* b) { return ir_.CreateFAdd(a, b); });
    Value* inverseLength = llvm::ConstantFP::get(doubles_, 1.0 / double(spec_.length));
    return ir_.CreateFPTrunc(ir_.CreateFMul(sums, inverseLength), kb_.zero()->getType());
  }

  Value* inverseDeviation(Value* unit, Value* variance) {
    Value* sqrt = ir_.CreateUnaryIntrinsic(llvm::Intrinsic::sqrt, ir_.CreateFAdd(variance, kb_.splat(spec_.epsilon)));
    Value* inverse = ir_.CreateFDiv(kb_.splat(1.0f), sqrt);
    if (!blocked_ || spec_.channels % width_ == 0) return inverse;
    // A blocked tensor's padding lanes (past the channels, in the last block) hold
    // zeros: with epsilon 0, 1/sqrt(0) would make them NaN, which a reader's zero weights keep.
    int64_t blocks = ceilDiv(spec_.channels, width_);
    Value* last = ir_.CreateICmpEQ(ir_.CreateSRem(unit, kb_.i64(blocks)), kb_.i64(blocks - 1));
    Value* real = ir_.CreateSelect(kb_.laneMask(int(spec_.channels % width_)), inverse, kb_.zero());
    return ir_.CreateSelect(last, real, inverse);
  }

  // y over `count` floats from `first`, with the scale and bias vectors s(i, lanes), b(i, lanes).
  void normalize(Value* first, int64_t count, const Term& s, const Term& b) {
    over(first, count, [&](Value* i, int lanes) {
      Value* y = kb_.fma(centered_(i, lanes), ir_.CreateFMul(s(i, lanes), inverseDeviation_), b(i, lanes));
      kb_.storeLanes(output_, ir_.CreateAdd(base_, i), y, lanes);
    });
  }

  // The scale and bias by layout: the unit's channel block, the element of the row, or each run's channel.
  void normalizeGroup(Value* unit) {
    auto uniform = [](Value* v) { return [v](Value*, int) { return v; }; };
    if (blocked_) {
      Value* channel = ir_.CreateMul(ir_.CreateSRem(unit, kb_.i64(ceilDiv(spec_.channels, width_))), kb_.i64(width_));
      return normalize(kb_.i64(0), floats_, uniform(kb_.loadVector(scale_, channel)),
                       uniform(kb_.loadVector(bias_, channel)));
    }
    if (spec_.run == 0)
      return normalize(
          kb_.i64(0), floats_, [&](Value* i, int lanes) { return kb_.loadLanes(scale_, i, lanes); },
          [&](Value* i, int lanes) { return kb_.loadLanes(bias_, i, lanes); });
    int64_t runs = spec_.length / spec_.run;
    kb_.forLoop(
        kb_.i64(0), kb_.i64(runs), 1,
        [&](Value* j) {
          Value* channel =
              ir_.CreateSRem(ir_.CreateAdd(ir_.CreateMul(unit, kb_.i64(runs)), j), kb_.i64(spec_.channels));
          normalize(ir_.CreateMul(j, kb_.i64(spec_.run)), spec_.run, uniform(kb_.loadBroadcast(scale_, channel)),
                    uniform(kb_.loadBroadcast(bias_, channel)));
        },
        KernelBuilder::Unroll::Never);
  }

  KernelBuilder& kb_;
  llvm::IRBuilder<>& ir_;
  const NormalizationSpec& spec_;
  int width_;
  bool blocked_;
  int64_t floats_;  // a group's
  llvm::FixedVectorType* doubles_;
  Value *input_, *scale_, *bias_, *output_;
  Value* base_ = nullptr;  // the unit's group
  Term centered_;          // x - mean
  Value* inverseDeviation_ = nullptr;
};

}  // namespace

void emitNormalizationKernel(llvm::Module& module, const std::string& name, const NormalizationSpec& spec,
                             int vectorWidth) {
  KernelBuilder kb(module, name, vectorWidth);
  NormalizationEmitter emitter(kb, spec);
  kb.forLoop(kb.begin(), kb.end(), 1, [&](Value* unit) { emitter.emitUnit(unit); });
}

}  // namespace convopt::codegen
