// Elementwise kernels: one ElementwiseProgram — a DAG of operations over
// vector registers — evaluated once per output vector, so a fused chain of
// elementwise nodes loads each operand once and keeps every intermediate in
// registers. Two layouts:
//  - Blocked 4-D (NCHWc): operands are the output's full shape, one value per
//    channel ([1, C, 1, 1] or [N, C, 1, 1]) or a scalar. Work unit: one channel
//    block of one image.
//  - Plain (row-major, any rank): operands broadcast numpy-style (each dim 1 or
//    the output's). Vectorized over the innermost dim with a masked tail. Work
//    unit: one chunk of one row (see plainWorkUnits).
// Buffers: operands in order (blocked: per-channel operands as
// [N|1, ceil(C/V), 1, 1, V], scalars as one float; plain: their own dims),
// then one output per result.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "codegen/builder/epilogue.h"

namespace llvm {
class Module;
}

namespace convopt::codegen {

enum class ElementwiseLayout { Blocked, Plain };

enum class OperandKind { Full, Channel, ImageChannel, Scalar };  // blocked; ImageChannel: [N, C, 1, 1]

struct ElementwiseOperand {
  OperandKind kind = OperandKind::Full;  // blocked layout
  std::vector<int64_t> dims;             // plain layout: right-aligned to the output's rank, 1 = broadcast
};

enum class ElementwiseOp {
  Operand,  // load operand `operand`
  Add,
  Sub,
  Mul,
  Div,
  Max,
  Min,
  PRelu,   // a < 0 ? a * b : a
  MulAdd,  // a * b + c
  Neg,
  Abs,
  Sqrt,
  Exp,
  Erf,
  Reciprocal,
  Activate,  // `activation` (an Activate epilogue step) on a
};

struct ElementwiseInstr {
  ElementwiseOp op = ElementwiseOp::Operand;
  std::vector<int> args;  // registers = indices of earlier instructions
  int operand = -1;
  EpilogueStep activation{};
};

struct ElementwiseSpec {
  ElementwiseLayout layout = ElementwiseLayout::Blocked;
  std::vector<int64_t> dims;  // the output's; blocked: N, C, H, W
  std::vector<ElementwiseOperand> operands;
  std::vector<ElementwiseInstr> program;
  std::vector<int> results;  // registers stored to the outputs, in order

  int addInstr(ElementwiseOp op, std::vector<int> args, int operand = -1, EpilogueStep activation = {});
  std::string describe() const;  // the program's operations: "mul+add+clip[0,6]+div"
};

void emitElementwiseKernel(llvm::Module& module, const std::string& name, const ElementwiseSpec& spec, int vectorWidth);
int64_t elementwiseWorkUnits(const ElementwiseSpec& spec, int vectorWidth);

}  // namespace convopt::codegen
