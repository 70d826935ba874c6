// Conv and ConvTranspose, any spatial rank, grouped, dilated, strided, padded.
// Both are written as "for each kernel offset, add weight x shifted plane":
// the innermost loop walks the last spatial dim contiguously, which keeps a
// 640x640 detection model at a few seconds without any blocking tricks.
#include <algorithm>
#include <cstring>

#include "runtime/reference/linear.h"
#include "runtime/reference/spatial.h"

namespace convopt::runtime::reference {
namespace {

// One kernel offset `kpos` pairs position p of the strided side with position
// p*stride + kpos*dilation - padBegin of the dense side (Conv: output is the
// strided side, input the dense one; ConvTranspose: the other way round).
// Adds w*source into target for every such pair inside both planes.
template <typename T>
struct PlanePair {
  T* strided;
  const std::vector<int64_t>& stridedDims;
  T* dense;
  const std::vector<int64_t>& denseDims;
  bool intoStrided;
};

template <typename T>
void accumulateKernelOffset(const WindowGeometry& g, const std::vector<int64_t>& kpos, T w, const PlanePair<T>& p) {
  const size_t rank = g.rank();
  std::vector<int64_t> offset(rank);
  for (size_t d = 0; d < rank; ++d) offset[d] = kpos[d] * g.dilations[d] - g.padBegin[d];
  const size_t last = rank - 1;
  const int64_t s = g.strides[last];
  const int64_t lo = std::max<int64_t>(0, floorDiv(-offset[last] + s - 1, s));
  const int64_t hi = std::min(p.stridedDims[last], floorDiv(p.denseDims[last] - 1 - offset[last], s) + 1);
  if (lo >= hi) return;
  const std::vector<int64_t> stridedStrides = stridesOf(p.stridedDims);
  const std::vector<int64_t> denseStrides = stridesOf(p.denseDims);
  std::vector<int64_t> outer(p.stridedDims.begin(), p.stridedDims.end() - 1);
  forEachIndex(outer, [&](const std::vector<int64_t>& idx) {
    int64_t stridedRow = 0, denseRow = 0;
    for (size_t d = 0; d < last; ++d) {
      int64_t q = idx[d] * g.strides[d] + offset[d];
      if (q < 0 || q >= p.denseDims[d]) return;
      stridedRow += idx[d] * stridedStrides[d];
      denseRow += q * denseStrides[d];
    }
    T* sp = p.strided + stridedRow;
    T* dp = p.dense + denseRow + offset[last];
    if (p.intoStrided) {
      if (s == 1)
        for (int64_t i = lo; i < hi; ++i) sp[i] += w * dp[i];
      else
        for (int64_t i = lo; i < hi; ++i) sp[i] += w * dp[i * s];
    } else {
      for (int64_t i = lo; i < hi; ++i) dp[i * s] += w * sp[i];
    }
  });
}

struct ConvOperands {
  const Tensor& x;
  const Tensor& w;
  const Tensor* bias;
  int64_t group;
  std::vector<int64_t> kernel;
};

ConvOperands convOperands(const KernelContext& ctx, const Tensor& x, const Tensor& w, const Tensor* bias,
                          int64_t weightChannelDim);

ConvOperands readOperands(const KernelContext& ctx, int64_t weightChannelDim) {
  return convOperands(ctx, ctx.input(0), ctx.input(1), ctx.optionalInput(2), weightChannelDim);
}

ConvOperands convOperands(const KernelContext& ctx, const Tensor& x, const Tensor& w, const Tensor* bias,
                          int64_t weightChannelDim) {
  ConvOperands ops{x, w, bias, ctx.getInt("group", 1), {}};
  if (ops.x.dtype() != ops.w.dtype() || (ops.x.dtype() != DType::Float && ops.x.dtype() != DType::Int32))
    ctx.fail("X and W must both be float (or int32 for the integer convolutions)");
  if (ops.x.rank() < 3 || ops.w.rank() != ops.x.rank())
    ctx.fail("X has rank {} and W rank {}; expected equal ranks of at least 3", ops.x.rank(), ops.w.rank());
  if (ops.group < 1 || ops.w.dims()[0] % (weightChannelDim == 0 ? ops.group : 1) != 0)
    ctx.fail("group {} does not divide W's {} output channels", ops.group, ops.w.dims()[0]);
  ops.kernel.assign(ops.w.dims().begin() + 2, ops.w.dims().end());
  if (ctx.hasAttribute("kernel_shape") && ctx.getInts("kernel_shape") != ops.kernel)
    ctx.fail("kernel_shape does not match the weight's spatial dims");
  if (ops.bias && ops.bias->dtype() != ops.x.dtype()) ctx.fail("B must have X's element type");
  return ops;
}

std::vector<int64_t> spatialOf(const Tensor& t) { return {t.dims().begin() + 2, t.dims().end()}; }

// Output planes of n x channels, each starting at its bias.
Tensor outputWithBias(const KernelContext& ctx, const ConvOperands& ops, int64_t channels,
                      const std::vector<int64_t>& spatial) {
  std::vector<int64_t> dims = {ops.x.dims()[0], channels};
  dims.insert(dims.end(), spatial.begin(), spatial.end());
  Tensor y(ops.x.dtype(), dims);
  if (!ops.bias) return y;
  if (ops.bias->numel() != channels) ctx.fail("bias has {} values for {} output channels", ops.bias->numel(), channels);
  const size_t size = ir::elementSize(y.dtype());
  const int64_t plane = product(spatial);
  uint8_t* out = y.mutableBytes().data();
  for (int64_t i = 0; i < dims[0] * channels * plane; ++i)
    std::memcpy(out + i * size, ops.bias->bytes().data() + ((i / plane) % channels) * size, size);
  return y;
}

template <typename T>
void convolve(const ConvOperands& ops, const WindowGeometry& g, Tensor& y) {
  const int64_t batch = ops.x.dims()[0], inC = ops.x.dims()[1], outC = ops.w.dims()[0];
  const int64_t groupIn = ops.w.dims()[1], groupOut = outC / ops.group;
  const int64_t inPlane = product(g.input), outPlane = product(g.output), kSize = product(ops.kernel);
  auto xs = ops.x.data<T>();
  auto ws = ops.w.data<T>();
  auto ys = y.data<T>();
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t m = 0; m < outC; ++m) {
      T* target = ys.data() + (n * outC + m) * outPlane;
      int64_t firstIn = (m / groupOut) * groupIn;
      for (int64_t c = 0; c < groupIn; ++c) {
        T* source = const_cast<T*>(xs.data()) + (n * inC + firstIn + c) * inPlane;
        const T* wk = ws.data() + (m * groupIn + c) * kSize;
        int64_t k = 0;
        forEachIndex(ops.kernel, [&](const std::vector<int64_t>& kpos) {
          accumulateKernelOffset<T>(g, kpos, wk[k++], {target, g.output, source, g.input, true});
        });
      }
    }
}

Tensor convolution(const KernelContext& ctx, const ConvOperands& ops) {
  const int64_t inC = ops.x.dims()[1], outC = ops.w.dims()[0], groupIn = ops.w.dims()[1];
  if (groupIn * ops.group != inC) ctx.fail("X has {} channels but W expects {} x group {}", inC, groupIn, ops.group);
  WindowGeometry g = slidingWindow(ctx, spatialOf(ops.x), ops.kernel, false);
  Tensor y = outputWithBias(ctx, ops, outC, g.output);
  if (y.dtype() == DType::Int32)
    convolve<int32_t>(ops, g, y);
  else
    convolve<float>(ops, g, y);
  return y;
}

std::vector<Tensor> conv(const KernelContext& ctx) {
  ConvOperands ops = readOperands(ctx, 0);
  requireFloat(ctx, ops.x, "X");
  return {convolution(ctx, ops)};
}

std::vector<Tensor> convTranspose(const KernelContext& ctx) {
  ConvOperands ops = readOperands(ctx, 1);
  requireFloat(ctx, ops.x, "X");
  const int64_t batch = ops.x.dims()[0], inC = ops.x.dims()[1];
  const int64_t groupOut = ops.w.dims()[1], outC = groupOut * ops.group;
  if (ops.w.dims()[0] != inC || inC % ops.group != 0)
    ctx.fail("W has {} input channels for X's {} (group {})", ops.w.dims()[0], inC, ops.group);
  const int64_t groupIn = inC / ops.group;
  WindowGeometry g = transposedWindow(ctx, spatialOf(ops.x), ops.kernel);
  Tensor y = outputWithBias(ctx, ops, outC, g.output);
  const int64_t inPlane = product(g.input), outPlane = product(g.output), kSize = product(ops.kernel);
  auto xs = ops.x.data<float>();
  auto ws = ops.w.data<float>();
  auto ys = y.data<float>();
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t c = 0; c < inC; ++c) {
      float* source = const_cast<float*>(xs.data()) + (n * inC + c) * inPlane;
      int64_t firstOut = (c / groupIn) * groupOut;
      for (int64_t m = 0; m < groupOut; ++m) {
        float* target = ys.data() + (n * outC + firstOut + m) * outPlane;
        const float* wk = ws.data() + (c * groupOut + m) * kSize;
        int64_t k = 0;
        forEachIndex(ops.kernel, [&](const std::vector<int64_t>& kpos) {
          accumulateKernelOffset<float>(g, kpos, wk[k++], {source, g.input, target, g.output, false});
        });
      }
    }
  return {std::move(y)};
}

}  // namespace

Tensor convolution(const KernelContext& ctx, const Tensor& x, const Tensor& w, const Tensor* bias) {
  return convolution(ctx, convOperands(ctx, x, w, bias, 0));
}

void registerConvKernels(KernelRegistry& r) {
  r.add("Conv", conv);
  r.add("ConvTranspose", convTranspose);
}

}  // namespace convopt::runtime::reference
