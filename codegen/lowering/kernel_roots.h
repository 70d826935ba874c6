// Kernel roots: the nodes whose kernels carry an epilogue (conv, ConvTranspose,
// MatMul/Gemm, pooling, Resize), planned before any fusion is decided. A root's
// planner checks everything its kernel needs and builds the kernel's spec, so
// the followers fused into it (fusion/epilogue_fusion.h) never have to be
// given back; its lowering function then only emits. A planner that refuses
// says why, and the node falls back with that reason.
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "codegen/conv/conv_emitter.h"
#include "codegen/conv/conv_transpose.h"
#include "codegen/conv/winograd.h"
#include "codegen/engine/target.h"
#include "codegen/fusion/fusion_plan.h"
#include "codegen/kernels/matmul_kernel.h"
#include "codegen/kernels/pool_kernel.h"
#include "codegen/kernels/resize_kernel.h"
#include "ir/status.h"

namespace convopt::codegen {

// What a planner may consult: nothing the lowering has produced yet.
struct PlanningInputs {
  ConstantLookup constantOf;
  Target target;
  int64_t opset = 0;
};

struct ConvKernel {
  ConvSpec spec;
  ConvPlan plan;                         // direct convolution
  std::optional<WinogradPlan> winograd;  // instead, when it may and pays (conv/winograd.h)
  // A 3x3 conv that may run in the Winograd domain: its layer key (tuning
  // measures it), and when it stays direct under --winograd auto, why (--explain).
  std::string winogradKey, directReason;
};

struct ConvTransposeKernel {
  ConvTransposeSpec spec;
  std::vector<ConvPart> phases;
  std::vector<float> packedWeights;  // every phase's, at its weightOffset
  std::string phaseFamilies;         // "dense 1x1 tile 2x14 x4", for the explanation
};

// An operand of a matrix product: an activation (read in place) or a constant's values.
struct MatrixOperand {
  const ir::Value* value = nullptr;
  std::vector<float> data;    // when constant: row-major, transposes applied, packed as the spec says
  std::vector<int64_t> dims;  // [batch.., rows, columns] (1-D operands promoted)
};

struct MatMulKernel {
  MatMulSpec spec;
  MatrixOperand a, b;
  std::optional<MatrixOperand> bias;
};

struct PoolKernel {
  PoolSpec spec;
  bool squeezed = false;  // a ReduceMean without keepdims: [N, C] handed on in plain layout
};

struct ResizeKernel {
  ResizeSpec spec;
};

struct RootKernel {
  std::variant<ConvKernel, ConvTransposeKernel, MatMulKernel, PoolKernel, ResizeKernel> kernel;
  const ir::Value* output = nullptr;      // what the kernel writes before any epilogue fuses
  std::vector<const ir::Node*> absorbed;  // nodes its spec already computes (a MatMul's bias Add)
};

// The root kernel of `node`; nullopt when `node` is no root (its op has no planner).
std::optional<Expected<RootKernel>> planRootKernel(const ir::Node& node, const PlanningInputs& inputs);

// The planners, one per lower_*.cpp that emits the kernel (lowered_ops.def: KERNEL_ROOT).
#define KERNEL_ROOT(op, planner) Expected<RootKernel> planner(const ir::Node& node, const PlanningInputs& inputs);
#include "codegen/lowering/lowered_ops.def"

}  // namespace convopt::codegen
