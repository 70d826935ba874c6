#include "codegen/kernels/elementwise_kernel.h"
#include "ir/int_math.h"

#include <fmt/format.h>
#include <llvm/IR/Intrinsics.h>

#include <algorithm>
#include <functional>

#include "codegen/builder/epilogue_emitter.h"
#include "codegen/builder/kernel_builder.h"
#include "codegen/kernels/plain_rows.h"

namespace convopt::codegen {

int ElementwiseSpec::addInstr(ElementwiseOp op, std::vector<int> args, int operand, EpilogueStep activation) {
  program.push_back({op, std::move(args), operand, activation});
  return int(program.size()) - 1;
}

std::string ElementwiseSpec::describe() const {
  static const char* names[] = {"load",   "add", "sub", "mul",  "div", "max", "min",        "prelu",
                                "muladd", "neg", "abs", "sqrt", "exp", "erf", "reciprocal", "activate"};
  std::string text;
  for (const ElementwiseInstr& instr : program) {
    if (instr.op == ElementwiseOp::Operand) continue;
    if (!text.empty()) text += "+";
    text += instr.op == ElementwiseOp::Activate ? Epilogue{{instr.activation}}.describe() : names[int(instr.op)];
  }
  return text.empty() ? "copy" : text;
}

namespace {

using llvm::Value;

// The program's registers for one output vector; `operand(k)` loads operand k.
std::vector<Value*> evaluate(KernelBuilder& kb, const ElementwiseSpec& spec,
                             const std::function<Value*(int)>& operand) {
  llvm::IRBuilder<>& ir = kb.ir();
  std::vector<Value*> r;
  for (const ElementwiseInstr& instr : spec.program) {
    auto arg = [&](size_t i) { return r[instr.args[i]]; };
    auto unary = [&](llvm::Intrinsic::ID id) { return ir.CreateUnaryIntrinsic(id, arg(0)); };
    switch (instr.op) {
      case ElementwiseOp::Operand:
        r.push_back(operand(instr.operand));
        break;
      case ElementwiseOp::Add:
        r.push_back(ir.CreateFAdd(arg(0), arg(1)));
        break;
      case ElementwiseOp::Sub:
        r.push_back(ir.CreateFSub(arg(0), arg(1)));
        break;
      case ElementwiseOp::Mul:
        r.push_back(ir.CreateFMul(arg(0), arg(1)));
        break;
      case ElementwiseOp::Div:
        r.push_back(ir.CreateFDiv(arg(0), arg(1)));
        break;
      case ElementwiseOp::Max:  // a NaN of either operand is the result, as the reference's
        r.push_back(ir.CreateSelect(ir.CreateFCmpUNO(arg(1), arg(1)), arg(1), kb.max(arg(0), arg(1))));
        break;
      case ElementwiseOp::Min:
        r.push_back(ir.CreateSelect(ir.CreateFCmpUNO(arg(1), arg(1)), arg(1), kb.min(arg(0), arg(1))));
        break;
      case ElementwiseOp::PRelu:
        r.push_back(ir.CreateSelect(ir.CreateFCmpOLT(arg(0), kb.zero()), ir.CreateFMul(arg(0), arg(1)), arg(0)));
        break;
      case ElementwiseOp::MulAdd:
        r.push_back(kb.fma(arg(0), arg(1), arg(2)));
        break;
      case ElementwiseOp::Neg:
        r.push_back(ir.CreateFNeg(arg(0)));
        break;
      case ElementwiseOp::Abs:
        r.push_back(unary(llvm::Intrinsic::fabs));
        break;
      case ElementwiseOp::Sqrt:
        r.push_back(unary(llvm::Intrinsic::sqrt));
        break;
      case ElementwiseOp::Exp:
        r.push_back(emitExp(kb, arg(0)));
        break;
      case ElementwiseOp::Erf:
        r.push_back(emitErf(kb, arg(0)));
        break;
      case ElementwiseOp::Reciprocal:
        r.push_back(ir.CreateFDiv(kb.splat(1.0f), arg(0)));
        break;
      case ElementwiseOp::Activate:
        r.push_back(emitActivation(kb, instr.activation, arg(0)));
        break;
    }
  }
  return r;
}

void emitBlocked(KernelBuilder& kb, const ElementwiseSpec& spec) {
  llvm::IRBuilder<>& ir = kb.ir();
  int width = kb.vectorWidth();
  size_t count = spec.operands.size();
  std::vector<Value*> operands, outputs;
  for (size_t k = 0; k < count; ++k) operands.push_back(kb.buffer(int(k)));
  for (size_t k = 0; k < spec.results.size(); ++k) outputs.push_back(kb.buffer(int(count + k)));
  int64_t blocks = ceilDiv(spec.dims[1], width), pixels = spec.dims[2] * spec.dims[3];
  kb.forLoop(kb.begin(), kb.end(), 1, [&](Value* unit) {
    Value* block = ir.CreateSRem(unit, kb.i64(blocks));
    Value* planeBase = ir.CreateMul(unit, kb.i64(pixels * width));
    // Loop-invariant operands are loaded once per unit.
    std::vector<Value*> invariant(count, nullptr);
    for (size_t k = 0; k < count; ++k) {
      OperandKind kind = spec.operands[k].kind;
      if (kind == OperandKind::Scalar) invariant[k] = kb.loadBroadcast(operands[k], kb.i64(0));
      if (kind == OperandKind::Channel) invariant[k] = kb.loadVector(operands[k], ir.CreateMul(block, kb.i64(width)));
      if (kind == OperandKind::ImageChannel)
        invariant[k] = kb.loadVector(operands[k], ir.CreateMul(unit, kb.i64(width)));
    }
    kb.forLoop(kb.i64(0), kb.i64(pixels), 1, [&](Value* pixel) {
      Value* offset = ir.CreateAdd(planeBase, ir.CreateMul(pixel, kb.i64(width)));
      std::vector<Value*> r =
          evaluate(kb, spec, [&](int k) { return invariant[k] ? invariant[k] : kb.loadVector(operands[k], offset); });
      for (size_t k = 0; k < outputs.size(); ++k) kb.storeVector(outputs[k], offset, r[spec.results[k]]);
    });
  });
}

// Plain layout with output dims of size 1 dropped and neighbouring dims merged
// where every operand broadcasts both or neither: [1,T,C] + [1,T,1] -> [T,C] + [T,1].
struct PlainShape {
  std::vector<int64_t> dims;                   // >= 1 dim
  std::vector<std::vector<int64_t>> operands;  // same rank as dims
};

PlainShape collapse(const ElementwiseSpec& spec) {
  size_t rank = spec.dims.size();
  auto operandDim = [&](size_t k, size_t d) {
    const std::vector<int64_t>& o = spec.operands[k].dims;
    size_t shift = rank - o.size();
    return d < shift ? int64_t(1) : o[d - shift];
  };
  PlainShape shape;
  shape.operands.resize(spec.operands.size());
  for (size_t d = 0; d < rank; ++d) {
    if (spec.dims[d] == 1) continue;
    bool merge = !shape.dims.empty();
    for (size_t k = 0; k < spec.operands.size() && merge; ++k)
      merge = (operandDim(k, d) == 1) == (shape.operands[k].back() == 1);
    if (merge) {
      shape.dims.back() *= spec.dims[d];
      for (size_t k = 0; k < spec.operands.size(); ++k) shape.operands[k].back() *= operandDim(k, d);
    } else {
      shape.dims.push_back(spec.dims[d]);
      for (size_t k = 0; k < spec.operands.size(); ++k) shape.operands[k].push_back(operandDim(k, d));
    }
  }
  if (shape.dims.empty()) {
    shape.dims = {1};
    for (auto& o : shape.operands) o = {1};
  }
  return shape;
}

PlainRows plainRows(const PlainShape& shape, int vectorWidth) {
  int64_t rows = 1;
  for (size_t d = 0; d + 1 < shape.dims.size(); ++d) rows *= shape.dims[d];
  return PlainRows(rows, shape.dims.back(), vectorWidth);
}

// Each operand's offset of `row` (all dims but the innermost, flattened): the
// row's index per dim times the operand's stride there (0 where it broadcasts).
std::vector<Value*> rowOffsets(KernelBuilder& kb, const PlainShape& shape, Value* row) {
  llvm::IRBuilder<>& ir = kb.ir();
  size_t count = shape.operands.size();
  std::vector<Value*> offsets(count, kb.i64(0));
  std::vector<int64_t> stride(count);
  for (size_t k = 0; k < count; ++k) stride[k] = shape.operands[k].back();
  for (size_t d = shape.dims.size() - 1; d-- > 0;) {
    Value* index = ir.CreateSRem(row, kb.i64(shape.dims[d]));
    row = ir.CreateSDiv(row, kb.i64(shape.dims[d]));
    for (size_t k = 0; k < count; ++k) {
      if (shape.operands[k][d] != 1) offsets[k] = ir.CreateAdd(offsets[k], ir.CreateMul(index, kb.i64(stride[k])));
      stride[k] *= shape.operands[k][d];
    }
  }
  return offsets;
}

void emitPlain(KernelBuilder& kb, const ElementwiseSpec& spec) {
  llvm::IRBuilder<>& ir = kb.ir();
  PlainShape shape = collapse(spec);
  size_t count = spec.operands.size();
  int64_t inner = shape.dims.back();
  std::vector<Value*> operands, outputs;
  for (size_t k = 0; k < count; ++k) operands.push_back(kb.buffer(int(k)));
  for (size_t k = 0; k < spec.results.size(); ++k) outputs.push_back(kb.buffer(int(count + k)));
  std::vector<Value*> rowOffset, invariant;  // invariant: operands with one value per row
  Value* outRow = nullptr;
  auto rowStart = [&](Value* row) {
    rowOffset = rowOffsets(kb, shape, row);
    invariant.assign(count, nullptr);
    for (size_t k = 0; k < count; ++k)
      if (shape.operands[k].back() == 1) invariant[k] = kb.loadBroadcast(operands[k], rowOffset[k]);
    outRow = ir.CreateMul(row, kb.i64(inner));
  };
  auto vectorAt = [&](Value* j, int lanes) {  // lanes < V: the row's masked tail
    std::vector<Value*> r = evaluate(kb, spec, [&](int k) {
      return invariant[k] ? invariant[k] : kb.loadLanes(operands[k], ir.CreateAdd(rowOffset[k], j), lanes);
    });
    for (size_t k = 0; k < outputs.size(); ++k)
      kb.storeLanes(outputs[k], ir.CreateAdd(outRow, j), r[spec.results[k]], lanes);
  };
  forEachRowVector(kb, plainRows(shape, kb.vectorWidth()), rowStart, vectorAt);
}

}  // namespace

int64_t elementwiseWorkUnits(const ElementwiseSpec& spec, int vectorWidth) {
  if (spec.layout == ElementwiseLayout::Blocked) return spec.dims[0] * ceilDiv(spec.dims[1], vectorWidth);
  return plainRows(collapse(spec), vectorWidth).units();
}

void emitElementwiseKernel(llvm::Module& module, const std::string& name, const ElementwiseSpec& spec,
                           int vectorWidth) {
  KernelBuilder kb(module, name, vectorWidth);
  if (spec.layout == ElementwiseLayout::Blocked)
    emitBlocked(kb, spec);
  else
    emitPlain(kb, spec);
}

}  // namespace convopt::codegen
