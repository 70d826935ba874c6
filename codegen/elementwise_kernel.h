// Elementwise kernels on blocked 4-D tensors: a unary/binary/ternary op whose
// operands are each the output's full shape, one value per channel
// ([N or 1, C, 1, 1]) or one scalar, followed by an Epilogue (activations).
//
// Buffers: operands in order (blocked; per-channel operands as [N|1, ceil(C/V), 1, 1, V];
// scalars as one float), then the output, then residuals. Work unit: one
// channel block of one image.
#pragma once
#include <string>
#include <vector>

#include "codegen/epilogue.h"

namespace llvm {
class Module;
}

namespace convopt::codegen {

enum class OperandKind { Full, Channel, ImageChannel, Scalar };  // ImageChannel: [N, C, 1, 1]

enum class ElementwiseOp {
  Identity,  // x (the epilogue does the work: Relu, Sigmoid, ...)
  Add, Sub, Mul, Div,
  MulAdd,    // x * a + b (inference BatchNormalization)
};

struct ElementwiseSpec {
  int64_t batch = 1, channels = 0, height = 1, width = 1;
  ElementwiseOp op = ElementwiseOp::Identity;
  std::vector<OperandKind> operands;  // operands[0] is the full-shape input unless it broadcasts too
  Epilogue epilogue;
  std::string describe() const;
};

int operandCount(ElementwiseOp op);
void emitElementwiseKernel(llvm::Module& module, const std::string& name, const ElementwiseSpec& spec, int vectorWidth);
int64_t elementwiseWorkUnits(const ElementwiseSpec& spec, int vectorWidth);

}  // namespace convopt::codegen
