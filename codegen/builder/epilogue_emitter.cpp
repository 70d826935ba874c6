#include "codegen/builder/epilogue_emitter.h"
#include "ir/int_math.h"

#include <llvm/IR/Intrinsics.h>
#include <llvm/IR/IntrinsicsX86.h>

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
