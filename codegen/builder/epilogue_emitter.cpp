#include "codegen/builder/epilogue_emitter.h"
#include "ir/int_math.h"

#include <llvm/IR/Intrinsics.h>
#include <llvm/IR/IntrinsicsX86.h>

namespace convopt::codegen {

llvm::Value* emitExp(KernelBuilder& kb, llvm::Value* x, ExpOf of) {
  llvm::IRBuilder<>& ir = kb.ir();
  // e^(s*x), s = +-1, as 2^n * e^r with n = round(s*x / ln2), r = s*x - n*ln2 in
  // [-ln2/2, ln2/2]. Clamped so that 2^n stays a normal float: n in [-126, 127].
  float s = of == ExpOf::Negated ? -1.0f : 1.0f;
  x = of == ExpOf::Negated ? kb.min(kb.max(x, kb.splat(-88.0f)), kb.splat(87.3f))
                           : kb.min(kb.max(x, kb.splat(-87.3f)), kb.splat(88.0f));
  llvm::Value* n =
      ir.CreateUnaryIntrinsic(llvm::Intrinsic::floor, kb.fma(x, kb.splat(s * 1.44269504088896341f), kb.splat(0.5f)));
  // t = s*r = x - s*n*ln2, with ln2 split in two for precision: e^(-x) needs no negation.
  llvm::Value* t = kb.fma(n, kb.splat(s * -0.693359375f), x);
  t = kb.fma(n, kb.splat(s * 2.12194440e-4f), t);
  // e^r = 1 + r*(c1 + r*(c2 + ... + r*c6)), a minimax fit of relative error
  // 2.5e-9 on [-ln2/2, ln2/2] (below 1 ulp in float arithmetic, as the Cephes
  // polynomial it replaced, in 6 operations instead of 8); in t, the odd
  // coefficients take the sign s.
  const float coefficients[] = {1.0f, 0.5f, 0.16666415f, 0.041666351f, 0.0083751343f, 0.0013941119f};
  auto c = [&](int k) { return kb.splat(k % 2 == 1 ? s * coefficients[k - 1] : coefficients[k - 1]); };
  llvm::Value* p = c(6);
  for (int k = 5; k >= 1; --k) p = kb.fma(p, t, c(k));
  p = kb.fma(p, t, kb.splat(1.0f));
  // p * 2^n: AVX-512's vscalefps in one instruction (n is integral, p * 2^n normal:
  // the same value as building 2^n's bits); elsewhere from the exponent bits.
  if (kb.vectorWidth() == 16)
    return ir.CreateIntrinsic(llvm::Intrinsic::x86_avx512_mask_scalef_ps_512, {},
                              {p, n, kb.zero(), ir.getInt16(0xFFFF), ir.getInt32(4 /* current rounding */)});
  auto* intVector = llvm::FixedVectorType::get(ir.getInt32Ty(), kb.vectorWidth());
  llvm::Value* exponent =
      ir.CreateAdd(ir.CreateFPToSI(n, intVector), ir.CreateVectorSplat(kb.vectorWidth(), ir.getInt32(127)));
  llvm::Value* scale = ir.CreateBitCast(ir.CreateShl(exponent, 23), p->getType());
  return ir.CreateFMul(p, scale);
}

namespace {

// 1/d from the target's reciprocal estimate refined by Newton steps to float
// precision: a vector division costs several times an FMA's throughput, and
// sigmoids run once per output element. Each step r + r*(1 - d*r) doubles the
// bits. AVX-512's estimate has 14 and takes one step; AVX's has 12 and takes
// two: with one (as r*(2 - d*r)), efficientnet_b0's logits on an AVX2 host were
// 1.1e-4 off onnxruntime's, twice the reference interpreter's error; with two
// they are as close as with a division.
llvm::Value* reciprocal(KernelBuilder& kb, llvm::Value* d) {
  llvm::IRBuilder<>& ir = kb.ir();
  llvm::Value* estimate;
  int steps = 1;
  switch (kb.vectorWidth()) {
    case 16:
      estimate = ir.CreateIntrinsic(llvm::Intrinsic::x86_avx512_rcp14_ps_512, {}, {d, kb.zero(), ir.getInt16(0xFFFF)});
      break;
    case 8:
      estimate = ir.CreateIntrinsic(llvm::Intrinsic::x86_avx_rcp_ps_256, {}, {d});
      steps = 2;
      break;
    default:
      return ir.CreateFDiv(kb.splat(1.0f), d);
  }
  for (int i = 0; i < steps; ++i)  // r' = r + r * (1 - d*r): the error term in one FMA, rounded once more
    estimate = kb.fma(estimate, kb.fma(ir.CreateFNeg(d), estimate, kb.splat(1.0f)), estimate);
  return estimate;
}

llvm::Value* sigmoid(KernelBuilder& kb, llvm::Value* x) {
  llvm::IRBuilder<>& ir = kb.ir();
  llvm::Value* e = emitExp(kb, x, ExpOf::Negated);  // clamped: 1 + e stays finite
  return reciprocal(kb, ir.CreateFAdd(kb.splat(1.0f), e));
}

llvm::Value* clamp(KernelBuilder& kb, llvm::Value* x, float lo, float hi) {
  return kb.min(kb.max(x, kb.splat(lo)), kb.splat(hi));
}

// One value per channel, or a scalar, as a vector for the channels at `channelOffset`.
llvm::Value* perChannel(KernelBuilder& kb, const std::vector<float>& values, float padding,
                        llvm::Value* channelOffset) {
  if (values.size() == 1) return kb.splat(values[0]);
  if (!channelOffset) throw std::logic_error("epilogue: a per-channel step in a kernel without channel offsets");
  int width = kb.vectorWidth();
  std::vector<float> padded(values);
  padded.resize(size_t(ceilDiv(int64_t(values.size()), width) * width), padding);
  llvm::Module& module = *kb.function()->getParent();
  llvm::Constant* data = llvm::ConstantDataArray::get(module.getContext(), padded);
  auto* global = new llvm::GlobalVariable(module, data->getType(), true, llvm::GlobalValue::PrivateLinkage, data);
  return kb.loadVector(global, channelOffset);
}

}  // namespace

llvm::Value* emitActivation(KernelBuilder& kb, const EpilogueStep& step, llvm::Value* x) {
  llvm::IRBuilder<>& ir = kb.ir();
  switch (step.activation) {
    case Activation::Relu:
      return kb.max(x, kb.zero());
    case Activation::Clip:
      return clamp(kb, x, step.alpha, step.beta);
    case Activation::HardSigmoid:
      return clamp(kb, kb.fma(x, kb.splat(step.alpha), kb.splat(step.beta)), 0.0f, 1.0f);
    case Activation::HardSwish:
      return ir.CreateFMul(x, clamp(kb, kb.fma(x, kb.splat(step.alpha), kb.splat(step.beta)), 0.0f, 1.0f));
    case Activation::Sigmoid:
      return sigmoid(kb, x);
    case Activation::SiLU:
      return ir.CreateFMul(x, sigmoid(kb, x));
    case Activation::LeakyRelu:
      return ir.CreateSelect(ir.CreateFCmpOLT(x, kb.zero()), ir.CreateFMul(x, kb.splat(step.alpha)), x);
  }
  return x;
}

llvm::Value* emitEpilogue(KernelBuilder& kb, const Epilogue& epilogue, llvm::Value* x,
                          const std::function<llvm::Value*(int)>& residual, llvm::Value* channelOffset) {
  int residualIndex = 0;
  for (const EpilogueStep& step : epilogue.steps) {
    if (step.kind == EpilogueStep::Kind::AddResidual)
      x = kb.ir().CreateFAdd(x, residual(residualIndex++));
    else if (step.kind == EpilogueStep::Kind::Affine)
      x = kb.fma(x, perChannel(kb, step.scale, 1, channelOffset), perChannel(kb, step.shift, 0, channelOffset));
    else
      x = emitActivation(kb, step, x);
  }
  return x;
}

}  // namespace convopt::codegen
