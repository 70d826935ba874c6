#include "codegen/builder/epilogue_emitter.h"
#include "ir/int_math.h"

#include <llvm/IR/Intrinsics.h>
#include <llvm/IR/IntrinsicsX86.h>

#include <cmath>
#include <numbers>

namespace convopt::codegen {

llvm::Value* emitExp(KernelBuilder& kb, llvm::Value* x) {
  llvm::IRBuilder<>& ir = kb.ir();
  // Clamped so that 2^n stays a normal float: n in [-126, 127].
  x = kb.min(kb.max(x, kb.splat(-87.3f)), kb.splat(88.0f));
  llvm::Value* n =
      ir.CreateUnaryIntrinsic(llvm::Intrinsic::floor, kb.fma(x, kb.splat(1.44269504088896341f), kb.splat(0.5f)));
  // r = x - n*ln2, with ln2 split in two for precision.
  llvm::Value* r = kb.fma(n, kb.splat(-0.693359375f), x);
  r = kb.fma(n, kb.splat(2.12194440e-4f), r);
  llvm::Value* p = kb.splat(1.9875691500e-4f);
  for (float c : {1.3981999507e-3f, 8.3334519073e-3f, 4.1665795894e-2f, 1.6666665459e-1f, 5.0000001201e-1f})
    p = kb.fma(p, r, kb.splat(c));
  p = kb.fma(p, ir.CreateFMul(r, r), ir.CreateFAdd(r, kb.splat(1.0f)));
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
  llvm::Value* e = emitExp(kb, ir.CreateFNeg(x));  // clamped: 1 + e stays finite
  return reciprocal(kb, ir.CreateFAdd(kb.splat(1.0f), e));
}

llvm::Value* clamp(KernelBuilder& kb, llvm::Value* x, float lo, float hi) {
  return kb.min(kb.max(x, kb.splat(lo)), kb.splat(hi));
}

// c[0] + c[1]·y + c[2]·y² + ... by Horner's rule.
llvm::Value* polynomial(KernelBuilder& kb, llvm::Value* y, const std::vector<double>& c) {
  llvm::Value* p = kb.splat(float(c.back()));
  for (size_t i = c.size() - 1; i-- > 0;) p = kb.fma(p, y, kb.splat(float(c[i])));
  return p;
}

// Near 0, `small`; elsewhere `large` with x's sign (both odd functions).
llvm::Value* oddBlend(KernelBuilder& kb, llvm::Value* x, float threshold, llvm::Value* small, llvm::Value* large) {
  llvm::IRBuilder<>& ir = kb.ir();
  llvm::Value* a = ir.CreateUnaryIntrinsic(llvm::Intrinsic::fabs, x);
  llvm::Value* signedLarge = ir.CreateBinaryIntrinsic(llvm::Intrinsic::copysign, large, x);
  return ir.CreateSelect(ir.CreateFCmpOLT(a, kb.splat(threshold)), small, signedLarge);
}

llvm::Value* gelu(KernelBuilder& kb, llvm::Value* x, bool tanhApproximation) {
  llvm::IRBuilder<>& ir = kb.ir();
  llvm::Value* f;
  if (tanhApproximation)  // tanh(sqrt(2/pi) * (x + 0.044715 x^3))
    f = emitTanh(kb, ir.CreateFMul(x, kb.fma(ir.CreateFMul(x, x), kb.splat(0.0356774081f), kb.splat(0.7978845608f))));
  else
    f = emitErf(kb, ir.CreateFMul(x, kb.splat(0.70710678118654752f)));
  return ir.CreateFMul(x, kb.fma(f, kb.splat(0.5f), kb.splat(0.5f)));
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

llvm::Value* emitErf(KernelBuilder& kb, llvm::Value* x) {
  llvm::IRBuilder<>& ir = kb.ir();
  llvm::Value* x2 = ir.CreateFMul(x, x);
  // |x| < 0.5: 2/sqrt(pi) * sum (-1)^n x^(2n+1) / (n! (2n+1)), n < 8.
  std::vector<double> taylor;
  for (int n = 0; n < 8; ++n)
    taylor.push_back((n % 2 ? -2 : 2) * std::numbers::inv_sqrtpi / (std::tgamma(n + 1) * (2 * n + 1)));
  llvm::Value* small = ir.CreateFMul(x, polynomial(kb, x2, taylor));
  // From 6 on erf rounds to 1; clamped there, an infinity never meets the reciprocal's Newton step (inf * 0).
  llvm::Value* a = kb.min(ir.CreateUnaryIntrinsic(llvm::Intrinsic::fabs, x), kb.splat(6.0f));
  llvm::Value* t = reciprocal(kb, kb.fma(a, kb.splat(0.3275911f), kb.splat(1.0f)));
  llvm::Value* q =
      ir.CreateFMul(t, polynomial(kb, t, {0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429}));
  llvm::Value* large = kb.fma(ir.CreateFNeg(q), emitExp(kb, ir.CreateFNeg(ir.CreateFMul(a, a))), kb.splat(1.0f));
  return oddBlend(kb, x, 0.5f, small, large);
}

llvm::Value* emitExpm1(KernelBuilder& kb, llvm::Value* x) {
  llvm::IRBuilder<>& ir = kb.ir();
  // |x| < 0.25: x + x^2/2! + ... + x^7/7! (exp(x) - 1 would cancel to a few bits).
  std::vector<double> taylor = {1.0};
  for (int n = 2; n <= 7; ++n) taylor.push_back(taylor.back() / n);
  llvm::Value* small = ir.CreateFMul(x, polynomial(kb, x, taylor));
  llvm::Value* large = ir.CreateFSub(emitExp(kb, x), kb.splat(1.0f));
  llvm::Value* a = ir.CreateUnaryIntrinsic(llvm::Intrinsic::fabs, x);
  return ir.CreateSelect(ir.CreateFCmpOLT(a, kb.splat(0.25f)), small, large);
}

// log(1 + t) for t in [0, 1]: 2·atanh(s), s = t / (2 + t) <= 1/3, its odd series to s^15
// (the next term is below 1e-8 relative).
llvm::Value* log1pOfUnit(KernelBuilder& kb, llvm::Value* t) {
  llvm::IRBuilder<>& ir = kb.ir();
  llvm::Value* s = ir.CreateFMul(t, reciprocal(kb, ir.CreateFAdd(t, kb.splat(2.0f))));
  std::vector<double> series;
  for (int k = 0; k < 8; ++k) series.push_back(2.0 / (2 * k + 1));
  return ir.CreateFMul(s, polynomial(kb, ir.CreateFMul(s, s), series));
}

// log(1 + exp(x)) = max(x, 0) + log(1 + exp(-|x|)): no overflow, and the log's argument in [1, 2].
llvm::Value* softplus(KernelBuilder& kb, llvm::Value* x) {
  llvm::IRBuilder<>& ir = kb.ir();
  llvm::Value* e = emitExp(kb, ir.CreateFNeg(ir.CreateUnaryIntrinsic(llvm::Intrinsic::fabs, x)));
  return ir.CreateFAdd(kb.max(x, kb.zero()), log1pOfUnit(kb, e));
}

// x · tanh(log(1 + e^x)) = x · n / (n + 2), n = e^x (e^x + 2); from x = 20 on the factor is 1 in float.
llvm::Value* mish(KernelBuilder& kb, llvm::Value* x) {
  llvm::IRBuilder<>& ir = kb.ir();
  llvm::Value* e = emitExp(kb, kb.min(x, kb.splat(20.0f)));
  llvm::Value* n = ir.CreateFMul(e, ir.CreateFAdd(e, kb.splat(2.0f)));
  return ir.CreateFMul(x, ir.CreateFMul(n, reciprocal(kb, ir.CreateFAdd(n, kb.splat(2.0f)))));
}

llvm::Value* emitTanh(KernelBuilder& kb, llvm::Value* x) {
  llvm::IRBuilder<>& ir = kb.ir();
  // |x| < 0.25: x - x^3/3 + 2x^5/15 - 17x^7/315 + 62x^9/2835.
  llvm::Value* small =
      ir.CreateFMul(x, polynomial(kb, ir.CreateFMul(x, x), {1.0, -1.0 / 3, 2.0 / 15, -17.0 / 315, 62.0 / 2835}));
  // From 10 on, tanh rounds to 1 (1 - 2/(exp(20) + 1) does) and exp(2|x|) + 1 stays finite.
  llvm::Value* a = kb.min(ir.CreateUnaryIntrinsic(llvm::Intrinsic::fabs, x), kb.splat(10.0f));
  llvm::Value* e = emitExp(kb, ir.CreateFAdd(a, a));
  llvm::Value* large = kb.fma(kb.splat(-2.0f), reciprocal(kb, ir.CreateFAdd(e, kb.splat(1.0f))), kb.splat(1.0f));
  return oddBlend(kb, x, 0.25f, small, large);
}

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
    case Activation::Tanh:
      return emitTanh(kb, x);
    case Activation::Gelu:
    case Activation::GeluTanh:
      return gelu(kb, x, step.activation == Activation::GeluTanh);
    case Activation::Softplus:
      return softplus(kb, x);
    case Activation::Mish:
      return mish(kb, x);
    case Activation::Elu:
    case Activation::Selu: {
      llvm::Value* negative = ir.CreateFMul(kb.splat(step.alpha), emitExpm1(kb, x));
      llvm::Value* elu = ir.CreateSelect(ir.CreateFCmpOLT(x, kb.zero()), negative, x);
      return step.activation == Activation::Elu ? elu : ir.CreateFMul(kb.splat(step.beta), elu);
    }
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
