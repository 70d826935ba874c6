// MatMul and Gemm -> GEMM kernels (codegen/matmul_kernel.h) on plain tensors.
//   MatMul(A, B): numpy semantics (1-D operands promoted, batch dims broadcast);
//     a following Add of a constant that broadcasts to the product becomes the bias.
//   Gemm(A, B, C): alpha, beta, transA, transB; C any tensor broadcasting to [M, N].
// Constant operands are prepared at compile time: B packed into N-vector
// panels (alpha folded in), transposed constants transposed. An activation
// read transposed (Gemm transA/transB) falls back. Activations, epilogue
// fusion (codegen/epilogue_fusion.cpp) as for every kernel.
#include <fmt/format.h>

#include <optional>

#include "codegen/kernels/matmul_kernel.h"
#include "codegen/lowering/kernel_roots.h"
#include "codegen/lowering/op_lowering.h"
#include "ir/int_math.h"
#include "runtime/reference/broadcast.h"

namespace convopt::codegen {

// File-local steps of this file's planners.
struct MatrixProduct;
static RootKernel matMulKernel(MatrixProduct& product, const PlanningInputs& inputs,
                               std::vector<const ir::Node*> absorbed);

// alpha * A·B + beta * bias, written to `output` (then the epilogue).
struct MatrixProduct {
  MatrixOperand a, b;
  float alpha = 1;
  std::optional<MatrixOperand> bias;  // broadcasts to outputDims
  float beta = 1;
  std::vector<int64_t> outputDims;  // [batch.., M, N]
  const ir::Value* output = nullptr;
};

namespace {

// `value` as an operand; nullopt if it is not a float tensor of static shape.
std::optional<MatrixOperand> operandOf(const ir::Value* value, const ir::Tensor* constant) {
  if (!isStaticFloat(value) || (constant && constant->dtype() != ir::DType::Float)) return std::nullopt;
  MatrixOperand operand;
  operand.dims = value->type.staticShape();
  if (constant) {
    auto data = constant->data<float>();
    operand.data.assign(data.begin(), data.end());
  } else {
    operand.value = value;
  }
  return operand;
}

void transpose2d(MatrixOperand& operand) {
  int64_t rows = operand.dims[0], columns = operand.dims[1];
  std::vector<float> data(operand.data.size());
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < columns; ++c) data[c * rows + r] = operand.data[r * columns + c];
  operand.data = std::move(data), operand.dims = {columns, rows};
}

// Dims of (or broadcasting to) a MatMul's ONNX output as dims of its promoted
// output [batch.., M, N]: the M or N that a 1-D operand drops comes back as 1.
std::vector<int64_t> promoted(std::vector<int64_t> dims, size_t outputRank, bool aVector, bool bVector) {
  dims.insert(dims.begin(), outputRank - dims.size(), 1);
  if (aVector) dims.insert(dims.end() - (bVector ? 0 : 1), 1);
  if (bVector) dims.push_back(1);
  return dims;
}

bool isEmpty(const MatrixProduct& product) {
  int64_t elements = product.a.dims.back();
  for (int64_t d : product.outputDims) elements *= d;
  return elements == 0;
}

std::vector<int64_t> scaled(std::vector<int64_t> strides, int64_t factor) {
  for (int64_t& stride : strides) stride *= factor;
  return strides;
}

// The kernel's spec; prepares the constant operands (packs B, folds alpha and beta in).
MatMulSpec specOf(MatrixProduct& product, int width) {
  MatrixOperand &a = product.a, &b = product.b;
  MatMulSpec spec;
  spec.m = a.dims.end()[-2], spec.k = a.dims.back(), spec.n = b.dims.back();
  spec.batchDims.assign(product.outputDims.begin(), product.outputDims.end() - 2);
  std::vector<int64_t> aBatch(a.dims.begin(), a.dims.end() - 2), bBatch(b.dims.begin(), b.dims.end() - 2);
  spec.aBatchStrides = scaled(runtime::reference::broadcastStrides(aBatch, spec.batchDims), spec.m * spec.k);
  spec.bBatchStrides = runtime::reference::broadcastStrides(bBatch, spec.batchDims);
  spec.alpha = product.alpha;
  if (!b.value) {
    int64_t matrices = int64_t(b.data.size()) / (spec.k * spec.n);
    b.data = packMatMulB(b.data, matrices, spec.k, spec.n, width, spec.alpha), spec.alpha = 1;
    spec.packedB = true;
    spec.bBatchStrides = scaled(spec.bBatchStrides, ceilDiv(spec.n, width) * spec.k * width);
  } else {
    spec.bBatchStrides = scaled(spec.bBatchStrides, spec.k * spec.n);
    if (!a.value) {
      for (float& x : a.data) x *= spec.alpha;
      spec.alpha = 1;
    }
  }
  if (product.bias) {
    std::vector<int64_t> strides = runtime::reference::broadcastStrides(product.bias->dims, product.outputDims);
    spec.bias.present = true;
    spec.bias.batchStrides.assign(strides.begin(), strides.end() - 2);
    spec.bias.rowStride = strides.end()[-2], spec.bias.columnStride = strides.back();
    if (product.bias->value) {
      spec.bias.scale = product.beta;
    } else {
      for (float& x : product.bias->data) x *= product.beta;
    }
  }
  foldBatchIntoRows(spec);
  return spec;
}

}  // namespace

Expected<RootKernel> planMatMulKernel(const ir::Node& node, const PlanningInputs& inputs) {
  std::optional<MatrixOperand> a = operandOf(node.input(0), inputs.constantOf(node.input(0)));
  std::optional<MatrixOperand> b = operandOf(node.input(1), inputs.constantOf(node.input(1)));
  const ir::Value* output = node.output(0);
  if (!a || !b || !isStaticFloat(output)) return Status::refuse("operands are not float tensors of static shape");
  if (a->dims.empty() || b->dims.empty()) return Status::refuse("scalar operand");
  bool aVector = a->dims.size() == 1, bVector = b->dims.size() == 1;
  if (aVector) a->dims.insert(a->dims.begin(), 1);
  if (bVector) b->dims.push_back(1);
  MatrixProduct product;
  product.a = std::move(*a), product.b = std::move(*b);
  std::vector<int64_t> dims = output->type.staticShape();
  product.outputDims = promoted(dims, dims.size(), aVector, bVector);
  product.output = output;
  if (isEmpty(product)) return Status::refuse("empty matrix");
  // Add(product, constant) whose result keeps the product's shape: the bias.
  std::vector<const ir::Node*> absorbed;
  const ir::Node* add = output->isGraphOutput() || output->uses().size() != 1 ? nullptr : output->uses()[0].user;
  if (add && add->domain.empty() && add->opType == "Add" && add->inputs().size() == 2 &&
      isStaticFloat(add->output(0)) && add->output(0)->type.staticShape() == dims) {
    const ir::Value* other = add->input(0) == output ? add->input(1) : add->input(0);
    std::optional<MatrixOperand> bias =
        inputs.constantOf(other) ? operandOf(other, inputs.constantOf(other)) : std::nullopt;
    if (other != output && bias && broadcastsTo(bias->dims, dims)) {
      bias->dims = promoted(bias->dims, dims.size(), aVector, bVector);
      product.bias = std::move(bias);
      product.output = add->output(0);
      absorbed.push_back(add);
    }
  }
  return matMulKernel(product, inputs, std::move(absorbed));
}

Expected<RootKernel> planGemmKernel(const ir::Node& node, const PlanningInputs& inputs) {
  std::optional<MatrixOperand> a = operandOf(node.input(0), inputs.constantOf(node.input(0)));
  std::optional<MatrixOperand> b = operandOf(node.input(1), inputs.constantOf(node.input(1)));
  const ir::Value* output = node.output(0);
  if (!a || !b || !isStaticFloat(output)) return Status::refuse("operands are not float tensors of static shape");
  if (a->dims.size() != 2 || b->dims.size() != 2) return Status::refuse("A and B are not 2-D");
  MatrixProduct product;
  product.a = std::move(*a), product.b = std::move(*b);
  for (auto [operand, attribute] : {std::pair{&product.a, "transA"}, std::pair{&product.b, "transB"}}) {
    if (node.getInt(attribute, 0) == 0) continue;
    if (operand->value) return Status::refuse(fmt::format("{} of an activation (read transposed)", attribute));
    transpose2d(*operand);
  }
  product.alpha = node.getFloat("alpha", 1.0f), product.beta = node.getFloat("beta", 1.0f);
  product.outputDims = output->type.staticShape();
  product.output = output;
  if (isEmpty(product)) return Status::refuse("empty matrix");
  if (node.inputs().size() > 2 && node.input(2)) {
    product.bias = operandOf(node.input(2), inputs.constantOf(node.input(2)));
    if (!product.bias || !broadcastsTo(product.bias->dims, product.outputDims))
      return Status::refuse("C is not a float tensor broadcasting to [M, N]");
    product.bias->dims.insert(product.bias->dims.begin(), 2 - product.bias->dims.size(), 1);
  }
  return matMulKernel(product, inputs, {});
}

RootKernel matMulKernel(MatrixProduct& product, const PlanningInputs& inputs, std::vector<const ir::Node*> absorbed) {
  MatMulKernel kernel;
  kernel.spec = specOf(product, inputs.target.vectorWidth);
  kernel.spec.tile = matmulTile(inputs.target, kernel.spec.m, kernel.spec.n);
  kernel.a = std::move(product.a), kernel.b = std::move(product.b), kernel.bias = std::move(product.bias);
  return RootKernel{std::move(kernel), product.output, std::move(absorbed)};
}

// MatMul and Gemm alike: the planner did the rest.
Status lowerMatMul(LoweringContext& context, const ir::Node& node) {
  const MatMulKernel* kernel = context.rootKernel<MatMulKernel>(node);
  if (!kernel) return context.refusal(node);
  const FusedEpilogue& fused = context.epilogueOf(node);
  MatMulSpec spec = kernel->spec;
  spec.epilogue = fused.epilogue;
  auto argOf = [&](const MatrixOperand& operand) {
    return operand.value ? KernelArg{KernelArg::Kind::Slot, context.plainSlot(operand.value)}
                         : KernelArg{KernelArg::Kind::Constant, context.addConstant(operand.data)};
  };
  BufferLayout layout = matmulBuffers(spec);
  std::vector<KernelArg> args(layout.index(BufferRole::Output));
  args[layout.index(BufferRole::Input)] = argOf(kernel->a);
  args[layout.index(BufferRole::Weights)] = argOf(kernel->b);
  if (layout.bias) args[layout.index(BufferRole::Bias)] = argOf(*kernel->bias);
  std::vector<KernelArg> residualArgs;
  for (const ir::Value* residual : fused.residuals)
    residualArgs.push_back({KernelArg::Kind::Slot, context.plainSlot(residual)});
  args.push_back({KernelArg::Kind::Slot, context.definePlain(fused.output)});
  args.insert(args.end(), residualArgs.begin(), residualArgs.end());
  std::string name = context.kernelName("matmul");
  emitMatMulKernel(context.module(), name, spec, context.vectorWidth());
  context.addKernel(name, matmulWorkUnits(spec, context.vectorWidth()), std::move(args), spec.describe(), node,
                    fused.nodes, spec.m * spec.n * spec.k * spec.batchCount());
  return Status::success();
}

}  // namespace convopt::codegen
