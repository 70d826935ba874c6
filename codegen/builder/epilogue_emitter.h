// Emits an Epilogue (codegen/epilogue.h) on one vector: the single place every
// kernel family and elementwise kernel gets its activations from.
#pragma once
#include <functional>

#include "codegen/builder/epilogue.h"
#include "codegen/builder/kernel_builder.h"

namespace convopt::codegen {

// `residual(k)` emits the load of the k-th residual operand for this vector;
// `channelOffset` is the first channel of this vector (block * V), needed by
// per-channel Affine steps, whose values are compiled into the module.
llvm::Value* emitEpilogue(KernelBuilder& kb, const Epilogue& epilogue, llvm::Value* x,
                          const std::function<llvm::Value*(int)>& residual, llvm::Value* channelOffset = nullptr);

llvm::Value* emitActivation(KernelBuilder& kb, const EpilogueStep& step, llvm::Value* x);

// exp(x) per lane: Cephes-style range reduction + degree-7 polynomial, within
// 1.22 ulp of libm (a libm call per lane would dominate Sigmoid/SiLU); tested
// over the float range in tests/codegen/exp_accuracy_test.cpp.
llvm::Value* emitExp(KernelBuilder& kb, llvm::Value* x);

// erf(x) and tanh(x) per lane, within 4e-7 of libm (absolute; tanh also within
// 1e-6 relative): an odd Taylor polynomial near 0, beyond it erf as Abramowitz
// and Stegun 7.1.26 (1 - t·P(t)·exp(-x²), t = 1/(1 + p|x|)) and tanh as
// 1 - 2/(exp(2|x|) + 1), signed. Tested in tests/codegen/exp_accuracy_test.cpp.
llvm::Value* emitErf(KernelBuilder& kb, llvm::Value* x);
// exp(x) - 1, near 0 from its Taylor polynomial (within 2 ulp there), beyond as emitExp(x) - 1.
llvm::Value* emitExpm1(KernelBuilder& kb, llvm::Value* x);
llvm::Value* emitTanh(KernelBuilder& kb, llvm::Value* x);

}  // namespace convopt::codegen
