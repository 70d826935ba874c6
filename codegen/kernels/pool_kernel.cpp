#include "codegen/kernels/pool_kernel.h"
#include "ir/int_math.h"

#include <fmt/format.h>

#include <limits>

#include "codegen/builder/epilogue_emitter.h"
#include "codegen/builder/kernel_builder.h"

namespace convopt::codegen {

std::string PoolSpec::describe() const {
  return fmt::format("{}pool{}x{}_s{}", kind == Kind::Max ? "max" : "avg", kernelH, kernelW, strideH);
}

int64_t poolWorkUnits(const PoolSpec& spec, int vectorWidth) {
  return spec.batch * (ceilDiv(spec.channels, vectorWidth)) * spec.outHeight;
}

namespace {

// Window positions along one axis that count for the average: inside the image,
// or inside the padded image when count_include_pad.
llvm::Value* axisCount(KernelBuilder& kb, llvm::Value* first, int64_t kernel, int64_t dilation, int64_t lo,
                       int64_t hi) {
  llvm::IRBuilder<>& ir = kb.ir();
  llvm::Value* count = kb.i64(0);
  for (int64_t k = 0; k < kernel; ++k) {
    llvm::Value* at = ir.CreateAdd(first, kb.i64(k * dilation));
    llvm::Value* inside = ir.CreateAnd(ir.CreateICmpSGE(at, kb.i64(lo)), ir.CreateICmpSLT(at, kb.i64(hi)));
    count = ir.CreateAdd(count, ir.CreateZExt(inside, ir.getInt64Ty()));
  }
  return count;
}

llvm::Value* windowCount(KernelBuilder& kb, const PoolSpec& s, llvm::Value* h0, llvm::Value* w0) {
  bool pads = s.countIncludePad;
  llvm::Value* rows =
      axisCount(kb, h0, s.kernelH, s.dilationH, pads ? -s.padTop : 0, s.inHeight + (pads ? s.padBottom : 0));
  llvm::Value* cols =
      axisCount(kb, w0, s.kernelW, s.dilationW, pads ? -s.padLeft : 0, s.inWidth + (pads ? s.padRight : 0));
  return kb.ir().CreateMul(rows, cols);
}

}  // namespace

void emitPoolKernel(llvm::Module& module, const std::string& name, const PoolSpec& s, int vectorWidth) {
  KernelBuilder kb(module, name, vectorWidth);
  llvm::IRBuilder<>& ir = kb.ir();
  llvm::Value* input = kb.buffer(kDataBuffers, BufferRole::Input);
  llvm::Value* output = kb.buffer(kDataBuffers, BufferRole::Output);
  std::vector<llvm::Value*> residuals;
  for (int k = 0; k < s.epilogue.residualCount(); ++k)
    residuals.push_back(kb.buffer(kDataBuffers, BufferRole::Residual, k));
  bool isMax = s.kind == PoolSpec::Kind::Max;
  kb.forLoop(kb.begin(), kb.end(), 1, [&](llvm::Value* unit) {
    llvm::Value* oh = ir.CreateSRem(unit, kb.i64(s.outHeight));
    llvm::Value* plane = ir.CreateSDiv(unit, kb.i64(s.outHeight));  // image * blocks + block
    llvm::Value* inPlane = ir.CreateMul(plane, kb.i64(s.inHeight * s.inWidth * vectorWidth));
    kb.forLoop(kb.i64(0), kb.i64(s.outWidth), 1, [&](llvm::Value* ow) {
      llvm::AllocaInst* acc = kb.vectorVariable(kb.splat(isMax ? -std::numeric_limits<float>::infinity() : 0.0f));
      llvm::Value* h0 = ir.CreateSub(ir.CreateMul(oh, kb.i64(s.strideH)), kb.i64(s.padTop));
      llvm::Value* w0 = ir.CreateSub(ir.CreateMul(ow, kb.i64(s.strideW)), kb.i64(s.padLeft));
      kb.forLoop(kb.i64(0), kb.i64(s.kernelH), 1, [&](llvm::Value* kh) {
        llvm::Value* ih = ir.CreateAdd(h0, ir.CreateMul(kh, kb.i64(s.dilationH)));
        kb.ifThen(ir.CreateICmpULT(ih, kb.i64(s.inHeight)), [&] {
          for (int64_t kw = 0; kw < s.kernelW; ++kw) {
            llvm::Value* iw = ir.CreateAdd(w0, kb.i64(kw * s.dilationW));
            kb.ifThen(ir.CreateICmpULT(iw, kb.i64(s.inWidth)), [&] {
              llvm::Value* offset = ir.CreateAdd(
                  inPlane, ir.CreateMul(ir.CreateAdd(ir.CreateMul(ih, kb.i64(s.inWidth)), iw), kb.i64(vectorWidth)));
              llvm::Value* x = kb.loadVector(input, offset);
              llvm::Value* old = ir.CreateLoad(acc->getAllocatedType(), acc);
              ir.CreateStore(isMax ? kb.max(old, x) : ir.CreateFAdd(old, x), acc);
            });
          }
        });
      });
      llvm::Value* result = ir.CreateLoad(acc->getAllocatedType(), acc);
      if (!isMax)
        result = ir.CreateFDiv(result, kb.splat(ir.CreateSIToFP(windowCount(kb, s, h0, w0), ir.getFloatTy())));
      llvm::Value* offset = ir.CreateMul(
          ir.CreateAdd(ir.CreateMul(ir.CreateAdd(ir.CreateMul(plane, kb.i64(s.outHeight)), oh), kb.i64(s.outWidth)),
                       ow),
          kb.i64(vectorWidth));
      llvm::Value* block = ir.CreateSRem(plane, kb.i64(ceilDiv(s.channels, vectorWidth)));
      result = emitEpilogue(
          kb, s.epilogue, result, [&](int k) { return kb.loadVector(residuals[k], offset); },
          ir.CreateMul(block, kb.i64(vectorWidth)));
      kb.storeVector(output, offset, result);
    });
  });
}

}  // namespace convopt::codegen
