#include "codegen/kernels/resize_kernel.h"
#include "ir/int_math.h"

#include <fmt/format.h>

#include "codegen/builder/epilogue_emitter.h"
#include "codegen/builder/kernel_builder.h"

namespace convopt::codegen {

std::string ResizeSpec::describe() const {
  return fmt::format("{}_c{}x{}x{}_to_{}x{}", linear ? "bilinear" : "nearest", channels, inHeight, inWidth, outHeight(),
                     outWidth());
}

int64_t resizeWorkUnits(const ResizeSpec& spec, int vectorWidth) {
  return spec.batch * (ceilDiv(spec.channels, vectorWidth)) * spec.outHeight();
}

namespace {

using llvm::Value;

// Per output coordinate: the source offsets (pre-multiplied by `stride`) and weights.
struct AxisTables {
  Value *first, *second, *w0, *w1;
};

AxisTables axisTables(KernelBuilder& kb, const ResizeAxisMap& map, int64_t stride) {
  std::vector<int64_t> first, second;
  std::vector<float> w0, w1;
  for (const ResizeSource& s : map.sources) {
    first.push_back(s.first * stride), second.push_back(s.second * stride);
    w0.push_back(s.w0), w1.push_back(s.w1);
  }
  return {kb.constantTable(first), kb.constantTable(second), kb.constantTable(w0), kb.constantTable(w1)};
}

class ResizeEmitter {
 public:
  ResizeEmitter(KernelBuilder& kb, const ResizeSpec& s) : kb_(kb), ir_(kb.ir()), s_(s), width_(kb.vectorWidth()) {}

  void emit() {
    input_ = kb_.buffer(kDataBuffers, BufferRole::Input), output_ = kb_.buffer(kDataBuffers, BufferRole::Output);
    for (int k = 0; k < s_.epilogue.residualCount(); ++k)
      residuals_.push_back(kb_.buffer(kDataBuffers, BufferRole::Residual, k));
    rows_ = axisTables(kb_, s_.rows, s_.inWidth * width_);
    cols_ = axisTables(kb_, s_.cols, width_);
    kb_.forLoop(kb_.begin(), kb_.end(), 1, [&](Value* unit) {
      Value* oh = ir_.CreateSRem(unit, kb_.i64(s_.outHeight()));
      Value* plane = ir_.CreateSDiv(unit, kb_.i64(s_.outHeight()));  // image * blocks + block
      inPlane_ = ir_.CreateMul(plane, kb_.i64(s_.inHeight * s_.inWidth * width_));
      outRow_ = ir_.CreateMul(ir_.CreateAdd(ir_.CreateMul(plane, kb_.i64(s_.outHeight())), oh),
                              kb_.i64(s_.outWidth() * width_));
      Value* inside =
          ir_.CreateAnd(ir_.CreateICmpSGE(oh, kb_.i64(s_.rows.lo)), ir_.CreateICmpSLT(oh, kb_.i64(s_.rows.hi)));
      kb_.ifThen(inside, [&] { emitRow(oh); });
      kb_.ifThen(ir_.CreateNot(inside),
                 [&] { store(kb_.i64(0), kb_.i64(s_.outWidth()), [&](Value*) { return extrapolation(); }); });
    });
  }

 private:
  Value* extrapolation() { return kb_.splat(s_.extrapolation); }

  void emitRow(Value* oh) {
    Value* row0 = ir_.CreateAdd(inPlane_, kb_.loadIndex(rows_.first, oh));
    std::function<Value*(Value*)> pixel = [&](Value* ow) {
      return kb_.loadVector(input_, ir_.CreateAdd(row0, kb_.loadIndex(cols_.first, ow)));
    };
    if (s_.linear) {
      Value* row1 = ir_.CreateAdd(inPlane_, kb_.loadIndex(rows_.second, oh));
      Value* wy0 = kb_.loadBroadcast(rows_.w0, oh);
      Value* wy1 = kb_.loadBroadcast(rows_.w1, oh);
      pixel = [&, row1, wy0, wy1](Value* ow) {
        auto column = [&](Value* offset) {
          Value* top = kb_.loadVector(input_, ir_.CreateAdd(row0, offset));
          Value* bottom = kb_.loadVector(input_, ir_.CreateAdd(row1, offset));
          return kb_.fma(wy1, bottom, ir_.CreateFMul(wy0, top));
        };
        Value* left = column(kb_.loadIndex(cols_.first, ow));
        Value* right = column(kb_.loadIndex(cols_.second, ow));
        return kb_.fma(kb_.loadBroadcast(cols_.w1, ow), right, ir_.CreateFMul(kb_.loadBroadcast(cols_.w0, ow), left));
      };
    }
    store(kb_.i64(0), kb_.i64(s_.cols.lo), [&](Value*) { return extrapolation(); });
    store(kb_.i64(s_.cols.lo), kb_.i64(s_.cols.hi), pixel);
    store(kb_.i64(s_.cols.hi), kb_.i64(s_.outWidth()), [&](Value*) { return extrapolation(); });
  }

  // Output pixels [first, last) of the row: value(ow), then the epilogue.
  void store(Value* first, Value* last, const std::function<Value*(Value*)>& value) {
    kb_.forLoop(first, last, 1, [&](Value* ow) {
      Value* offset = ir_.CreateAdd(outRow_, ir_.CreateMul(ow, kb_.i64(width_)));
      Value* x =
          emitEpilogue(kb_, s_.epilogue, value(ow), [&](int k) { return kb_.loadVector(residuals_[k], offset); });
      kb_.storeVector(output_, offset, x);
    });
  }

  KernelBuilder& kb_;
  llvm::IRBuilder<>& ir_;
  const ResizeSpec& s_;
  int width_;
  Value *input_ = nullptr, *output_ = nullptr, *inPlane_ = nullptr, *outRow_ = nullptr;
  std::vector<Value*> residuals_;
  AxisTables rows_{}, cols_{};
};

}  // namespace

void emitResizeKernel(llvm::Module& module, const std::string& name, const ResizeSpec& spec, int vectorWidth) {
  KernelBuilder kb(module, name, vectorWidth);
  ResizeEmitter(kb, spec).emit();
}

}  // namespace convopt::codegen
