#include "codegen/elementwise_kernel.h"

#include <fmt/format.h>

#include "codegen/epilogue_emitter.h"
#include "codegen/kernel_builder.h"

namespace convopt::codegen {

int operandCount(ElementwiseOp op) {
  switch (op) {
    case ElementwiseOp::Identity: return 1;
    case ElementwiseOp::MulAdd: return 3;
    default: return 2;
  }
}

std::string ElementwiseSpec::describe() const {
  static const char* names[] = {"identity", "add", "sub", "mul", "div", "muladd"};
  return epilogue.steps.empty() ? std::string(names[int(op)]) : fmt::format("{}+{}", names[int(op)], epilogue.describe());
}

int64_t elementwiseWorkUnits(const ElementwiseSpec& spec, int vectorWidth) {
  return spec.batch * ((spec.channels + vectorWidth - 1) / vectorWidth);
}

void emitElementwiseKernel(llvm::Module& module, const std::string& name, const ElementwiseSpec& spec,
                           int vectorWidth) {
  KernelBuilder kb(module, name, vectorWidth);
  llvm::IRBuilder<>& ir = kb.ir();
  int count = operandCount(spec.op);
  std::vector<llvm::Value*> operands;
  for (int k = 0; k < count; ++k) operands.push_back(kb.buffer(k));
  llvm::Value* output = kb.buffer(count);
  std::vector<llvm::Value*> residuals;
  for (int k = 0; k < spec.epilogue.residualCount(); ++k) residuals.push_back(kb.buffer(count + 1 + k));
  int64_t blocks = (spec.channels + vectorWidth - 1) / vectorWidth, pixels = spec.height * spec.width;
  kb.forLoop(kb.begin(), kb.end(), 1, [&](llvm::Value* unit) {
    llvm::Value* block = ir.CreateSRem(unit, kb.i64(blocks));
    llvm::Value* planeBase = ir.CreateMul(unit, kb.i64(pixels * vectorWidth));
    // Loop-invariant operands are loaded once per unit.
    std::vector<llvm::Value*> invariant(count, nullptr);
    for (int k = 0; k < count; ++k) {
      if (spec.operands[k] == OperandKind::Scalar) invariant[k] = kb.loadBroadcast(operands[k], kb.i64(0));
      if (spec.operands[k] == OperandKind::Channel)
        invariant[k] = kb.loadVector(operands[k], ir.CreateMul(block, kb.i64(vectorWidth)));
      if (spec.operands[k] == OperandKind::ImageChannel)
        invariant[k] = kb.loadVector(operands[k], ir.CreateMul(unit, kb.i64(vectorWidth)));
    }
    kb.forLoop(kb.i64(0), kb.i64(pixels), 1, [&](llvm::Value* pixel) {
      llvm::Value* offset = ir.CreateAdd(planeBase, ir.CreateMul(pixel, kb.i64(vectorWidth)));
      std::vector<llvm::Value*> x(count);
      for (int k = 0; k < count; ++k) x[k] = invariant[k] ? invariant[k] : kb.loadVector(operands[k], offset);
      llvm::Value* result = x[0];
      switch (spec.op) {
        case ElementwiseOp::Identity: break;
        case ElementwiseOp::Add: result = ir.CreateFAdd(x[0], x[1]); break;
        case ElementwiseOp::Sub: result = ir.CreateFSub(x[0], x[1]); break;
        case ElementwiseOp::Mul: result = ir.CreateFMul(x[0], x[1]); break;
        case ElementwiseOp::Div: result = ir.CreateFDiv(x[0], x[1]); break;
        case ElementwiseOp::MulAdd: result = kb.fma(x[0], x[1], x[2]); break;
      }
      result = emitEpilogue(kb, spec.epilogue, result, [&](int k) { return kb.loadVector(residuals[k], offset); });
      kb.storeVector(output, offset, result);
    });
  });
}

}  // namespace convopt::codegen
