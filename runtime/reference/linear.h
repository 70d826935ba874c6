// The two linear-algebra cores, shared by the float ops (Conv, MatMul) and the
// integer / quantized ones (ConvInteger, QLinearConv, MatMulInteger, ...).
#pragma once
#include "runtime/reference/kernel.h"

namespace convopt::runtime::reference {

// Conv (attributes read from ctx: group, strides, pads, ...) of X and W, both
// float or both int32 (accumulating in that type), plus an optional bias.
Tensor convolution(const KernelContext& ctx, const Tensor& x, const Tensor& w, const Tensor* bias);

// numpy matmul of two tensors of the same numeric type.
Tensor matrixProduct(const KernelContext& ctx, const Tensor& a, const Tensor& b);

}  // namespace convopt::runtime::reference
