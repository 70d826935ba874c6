// Shape and layout ops: Shape, Size, Reshape, Flatten, Squeeze, Unsqueeze,
// Transpose, Expand, Tile, Concat, Split, Gather, Identity, Dropout,
// DepthToSpace, SpaceToDepth, ReverseSequence.
// They move elements without computing on them, so they work on any
// fixed-size element type.
#include <algorithm>
#include <cstring>
#include <numeric>

#include <fmt/ranges.h>

#include "ir/int_math.h"
#include "runtime/reference/broadcast.h"

namespace convopt::runtime::reference {
namespace {

Tensor withDims(const Tensor& in, std::vector<int64_t> dims) {
  Tensor out = in;
  out.reshape(std::move(dims));
  return out;
}

// An op parameter that moved from an attribute to an input at `inputSince`.
std::optional<std::vector<int64_t>> attributeOrInput(const KernelContext& ctx, const char* name, size_t input,
                                                     int64_t inputSince) {
  if (ctx.opset < inputSince) {
    if (!ctx.hasAttribute(name)) return std::nullopt;
    return ctx.getInts(name);
  }
  if (!ctx.hasInput(input)) return std::nullopt;
  return ctx.input(input).toInt64Vector();
}

std::vector<Tensor> shape(const KernelContext& ctx) {
  const std::vector<int64_t>& dims = ctx.input(0).dims();
  const int64_t rank = static_cast<int64_t>(dims.size());
  auto clampAxis = [rank](int64_t a) { return std::clamp<int64_t>(a < 0 ? a + rank : a, 0, rank); };
  int64_t start = clampAxis(ctx.getInt("start", 0)), end = clampAxis(ctx.getInt("end", rank));
  std::vector<int64_t> values(dims.begin() + start, dims.begin() + std::max(start, end));
  return {Tensor::fromVector(DType::Int64, {static_cast<int64_t>(values.size())}, values)};
}

std::vector<Tensor> reshape(const KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  std::vector<int64_t> dims = ctx.opset < 5 ? ctx.getInts("shape") : ctx.input(1).toInt64Vector();
  bool allowZero = ctx.getInt("allowzero", 0) != 0;
  int64_t inferred = -1, known = 1;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] == 0 && !allowZero) {
      if (i >= x.dims().size()) ctx.fail("shape [{}] copies dim {} the input does not have", fmt::join(dims, ","), i);
      dims[i] = x.dims()[i];
    }
    if (dims[i] == -1) {
      if (inferred >= 0) ctx.fail("shape [{}] has more than one -1", fmt::join(dims, ","));
      inferred = static_cast<int64_t>(i);
    } else if (dims[i] < 0) {
      ctx.fail("shape [{}] has a negative dim", fmt::join(dims, ","));
    } else {
      known *= dims[i];
    }
  }
  if (inferred >= 0) dims[inferred] = known == 0 ? 0 : x.numel() / known;
  if (product(dims) != x.numel())
    ctx.fail("cannot reshape [{}] into [{}]", fmt::join(x.dims(), ","), fmt::join(dims, ","));
  return {withDims(x, dims)};
}

std::vector<Tensor> flatten(const KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  int64_t axis = ctx.getInt("axis", 1);
  if (axis < -x.rank() || axis > x.rank()) ctx.fail("axis {} is out of range for rank {}", axis, x.rank());
  if (axis < 0) axis += x.rank();
  // Both products of dims (not numel / outer, which an empty outer dim would lose).
  return {withDims(x, {product(std::span(x.dims()).first(axis)), product(std::span(x.dims()).subspan(axis))})};
}

std::vector<Tensor> squeeze(const KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  auto axes = attributeOrInput(ctx, "axes", 1, 13);
  std::vector<bool> drop(x.rank(), false);
  for (int64_t i = 0; i < x.rank(); ++i) drop[i] = !axes && x.dims()[i] == 1;
  for (int64_t a : axes.value_or(std::vector<int64_t>{})) {
    a = ctx.normalizeAxis(a, x.rank());
    if (x.dims()[a] != 1) ctx.fail("cannot squeeze axis {} of size {}", a, x.dims()[a]);
    drop[a] = true;
  }
  std::vector<int64_t> dims;
  for (int64_t i = 0; i < x.rank(); ++i)
    if (!drop[i]) dims.push_back(x.dims()[i]);
  return {withDims(x, dims)};
}

std::vector<Tensor> unsqueeze(const KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  auto axes = attributeOrInput(ctx, "axes", 1, 13);
  if (!axes) ctx.fail("axes are missing");
  const int64_t rank = x.rank() + static_cast<int64_t>(axes->size());
  std::vector<bool> inserted(rank, false);
  for (int64_t a : *axes) {
    a = ctx.normalizeAxis(a, rank);
    if (inserted[a]) ctx.fail("axis {} is repeated", a);
    inserted[a] = true;
  }
  std::vector<int64_t> dims;
  for (int64_t i = 0, j = 0; i < rank; ++i) dims.push_back(inserted[i] ? 1 : x.dims()[j++]);
  return {withDims(x, dims)};
}

std::vector<Tensor> transpose(const KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  std::vector<int64_t> perm(x.rank());
  std::iota(perm.rbegin(), perm.rend(), 0);
  perm = ctx.getInts("perm", perm);
  std::vector<int64_t> sorted = perm;
  std::sort(sorted.begin(), sorted.end());
  bool valid = int64_t(sorted.size()) == x.rank();
  for (int64_t i = 0; valid && i < x.rank(); ++i) valid = sorted[i] == i;
  if (!valid) ctx.fail("perm [{}] is not a permutation of rank {}", fmt::join(perm, ","), x.rank());
  std::vector<int64_t> inStrides = stridesOf(x.dims()), dims, strides;
  for (int64_t p : perm) dims.push_back(x.dims()[p]), strides.push_back(inStrides[p]);
  return {stridedCopy(x, dims, strides)};
}

std::vector<Tensor> expand(const KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  std::vector<int64_t> dims = broadcastShape(ctx, {x.dims(), ctx.input(1).toInt64Vector()});
  return {stridedCopy(x, dims, broadcastStrides(x.dims(), dims))};
}

// Tile as a broadcast: output [r0*d0, r1*d1, ...] is row-major identical to
// [r0, d0, r1, d1, ...] reading the input with stride 0 along each r.
std::vector<Tensor> tile(const KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  std::vector<int64_t> repeats = ctx.input(1).toInt64Vector();
  if (int64_t(repeats.size()) != x.rank()) ctx.fail("repeats has {} values for rank {}", repeats.size(), x.rank());
  std::vector<int64_t> inStrides = stridesOf(x.dims()), viewDims, viewStrides, outDims;
  for (int64_t i = 0; i < x.rank(); ++i) {
    viewDims.insert(viewDims.end(), {repeats[i], x.dims()[i]});
    viewStrides.insert(viewStrides.end(), {0, inStrides[i]});
    outDims.push_back(repeats[i] * x.dims()[i]);
  }
  return {withDims(stridedCopy(x, viewDims, viewStrides), outDims)};
}

std::vector<Tensor> concat(const KernelContext& ctx) {
  if (ctx.opset >= 4 && !ctx.hasAttribute("axis")) ctx.fail("axis is required from opset 4 on");
  const Tensor& first = ctx.input(0);
  const int64_t axis = ctx.normalizeAxis(ctx.getInt("axis", ctx.opset < 4 ? 1 : 0), first.rank());
  std::vector<int64_t> dims = first.dims();
  dims[axis] = 0;
  for (size_t i = 0; i < ctx.numInputs(); ++i) {
    const Tensor& t = ctx.input(i);
    bool fits = t.dtype() == first.dtype() && t.rank() == first.rank();
    for (int64_t d = 0; fits && d < t.rank(); ++d) fits = d == axis || t.dims()[d] == first.dims()[d];
    if (!fits)
      ctx.fail("input {} [{}] does not fit input 0 [{}]", i, fmt::join(t.dims(), ","), fmt::join(first.dims(), ","));
    dims[axis] += t.dims()[axis];
  }
  Tensor out(first.dtype(), dims);
  const int64_t outer = product(std::span(dims).first(axis));
  const size_t size = ir::elementSize(first.dtype());
  const int64_t innerBytes = product(std::span(dims).subspan(axis + 1)) * size;
  uint8_t* dst = out.mutableBytes().data();
  for (int64_t o = 0; o < outer; ++o)
    for (size_t i = 0; i < ctx.numInputs(); ++i) {
      int64_t chunk = ctx.input(i).dims()[axis] * innerBytes;
      copyBytes(dst, ctx.input(i).bytes().data() + o * chunk, chunk);
      dst += chunk;
    }
  return {std::move(out)};
}

// Split sizes: the `split` attribute (< 13) or input (>= 13), else
// num_outputs (>= 18, last part smaller) or equal parts.
std::vector<int64_t> splitSizes(const KernelContext& ctx, int64_t length) {
  if (auto sizes = attributeOrInput(ctx, "split", 1, 13)) {
    if (int64_t(sizes->size()) != int64_t(ctx.numOutputs()) ||
        std::accumulate(sizes->begin(), sizes->end(), int64_t(0)) != length)
      ctx.fail("split [{}] does not divide length {} into {} outputs", fmt::join(*sizes, ","), length,
               ctx.numOutputs());
    return *sizes;
  }
  const int64_t parts = static_cast<int64_t>(ctx.numOutputs());
  if (ctx.opset < 18 && length % parts != 0) ctx.fail("length {} does not split evenly into {} outputs", length, parts);
  const int64_t chunk = ceilDiv(length, parts);
  std::vector<int64_t> sizes(parts, chunk);
  sizes.back() = length - chunk * (parts - 1);
  if (sizes.back() < 0) ctx.fail("length {} cannot be split into {} outputs", length, parts);
  return sizes;
}

std::vector<Tensor> split(const KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const int64_t axis = ctx.normalizeAxis(ctx.getInt("axis", 0), x.rank());
  std::vector<int64_t> inStrides = stridesOf(x.dims());
  std::vector<Tensor> outs;
  int64_t start = 0;
  for (int64_t size : splitSizes(ctx, x.dims()[axis])) {
    std::vector<int64_t> dims = x.dims();
    dims[axis] = size;
    outs.push_back(stridedCopy(x, dims, inStrides, start * inStrides[axis]));
    start += size;
  }
  return outs;
}

std::vector<Tensor> gather(const KernelContext& ctx) {
  const Tensor& data = ctx.input(0);
  const Tensor& indicesTensor = ctx.input(1);
  const int64_t axis = ctx.normalizeAxis(ctx.getInt("axis", 0), data.rank());
  const int64_t axisLen = data.dims()[axis];
  std::vector<int64_t> dims(data.dims().begin(), data.dims().begin() + axis);
  dims.insert(dims.end(), indicesTensor.dims().begin(), indicesTensor.dims().end());
  dims.insert(dims.end(), data.dims().begin() + axis + 1, data.dims().end());
  Tensor out(data.dtype(), dims);
  const int64_t outer = product(std::span(data.dims()).first(axis));
  const int64_t innerBytes = product(std::span(data.dims()).subspan(axis + 1)) * ir::elementSize(data.dtype());
  std::vector<int64_t> indices = indicesTensor.toInt64Vector();
  uint8_t* dst = out.mutableBytes().data();
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t index : indices) {
      if (index < -axisLen || index >= axisLen)
        ctx.fail("index {} is out of range for axis of size {}", index, axisLen);
      if (index < 0) index += axisLen;
      copyBytes(dst, data.bytes().data() + (o * axisLen + index) * innerBytes, innerBytes);
      dst += innerBytes;
    }
  return {std::move(out)};
}

// DepthToSpace / SpaceToDepth: a reshape to 6-D, a transpose, a reshape.
std::vector<Tensor> blockRearrange(const KernelContext& ctx, bool toSpace) {
  const Tensor& x = ctx.input(0);
  if (x.rank() != 4) ctx.fail("input must be 4-D (N, C, H, W)");
  const int64_t b = ctx.getInt("blocksize", 0), n = x.dims()[0], c = x.dims()[1], h = x.dims()[2], w = x.dims()[3];
  if (b <= 0 || (toSpace ? c % (b * b) : h % b + w % b) != 0) ctx.fail("blocksize {} does not divide the input", b);
  std::vector<int64_t> view, perm, dims;
  if (!toSpace) {
    view = {n, c, h / b, b, w / b, b}, perm = {0, 3, 5, 1, 2, 4}, dims = {n, c * b * b, h / b, w / b};
  } else if (ctx.getString("mode", "DCR") == "DCR") {
    view = {n, b, b, c / (b * b), h, w}, perm = {0, 3, 4, 1, 5, 2}, dims = {n, c / (b * b), h * b, w * b};
  } else {
    view = {n, c / (b * b), b, b, h, w}, perm = {0, 1, 4, 2, 5, 3}, dims = {n, c / (b * b), h * b, w * b};
  }
  std::vector<int64_t> viewStrides = stridesOf(view), outDims, strides;
  for (int64_t p : perm) outDims.push_back(view[p]), strides.push_back(viewStrides[p]);
  return {withDims(stridedCopy(x, outDims, strides), dims)};
}

// Reverses the first sequence_lens[b] steps of each batch entry.
std::vector<Tensor> reverseSequence(const KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const std::vector<int64_t> lens = ctx.input(1).toInt64Vector();
  const int64_t timeAxis = ctx.getInt("time_axis", 0), batchAxis = ctx.getInt("batch_axis", 1);
  if (x.rank() < 2 || timeAxis == batchAxis || timeAxis < 0 || batchAxis < 0 || timeAxis > 1 || batchAxis > 1)
    ctx.fail("time_axis and batch_axis must be 0 and 1 in some order");
  const int64_t steps = x.dims()[timeAxis], batch = x.dims()[batchAxis];
  if (int64_t(lens.size()) != batch) ctx.fail("sequence_lens has {} values for batch {}", lens.size(), batch);
  const std::vector<int64_t> strides = stridesOf(x.dims());
  const int64_t inner = product(std::span(x.dims()).subspan(2));
  const size_t size = ir::elementSize(x.dtype());
  Tensor out = x;
  for (int64_t b = 0; b < batch; ++b) {
    if (lens[b] < 0 || lens[b] > steps) ctx.fail("sequence length {} is outside [0, {}]", lens[b], steps);
    for (int64_t t = 0; t < lens[b]; ++t) {
      int64_t to = t * strides[timeAxis] + b * strides[batchAxis];
      int64_t from = (lens[b] - 1 - t) * strides[timeAxis] + b * strides[batchAxis];
      copyBytes(out.mutableBytes().data() + to * size, x.bytes().data() + from * size, inner * size);
    }
  }
  return {std::move(out)};
}

// Identity in inference: Dropout passes X through (mask all true). Training
// mode drops random elements, which no reference can reproduce: an error
// unless the ratio is 0.
std::vector<Tensor> dropout(const KernelContext& ctx) {
  bool training = ctx.hasInput(2) && ctx.input(2).toInt64Vector().at(0) != 0;
  float ratio = ctx.hasInput(1) ? ctx.input(1).toFloatVector().at(0) : ctx.getFloat("ratio", 0.5f);
  if (training && ratio != 0) ctx.fail("training_mode=true with ratio {} is random; not supported", ratio);
  std::vector<Tensor> outs{ctx.input(0)};
  if (ctx.numOutputs() > 1) {
    Tensor mask(DType::Bool, ctx.input(0).dims());
    std::fill(mask.mutableBytes().begin(), mask.mutableBytes().end(), uint8_t(1));
    outs.push_back(std::move(mask));
  }
  return outs;
}

}  // namespace

void registerShapeKernels(KernelRegistry& r) {
  r.add("Shape", shape);
  r.add("Size",
        [](const KernelContext& ctx) { return std::vector<Tensor>{Tensor::scalarInt64(ctx.input(0).numel())}; });
  r.add("Reshape", reshape);
  r.add("Flatten", flatten);
  r.add("Squeeze", squeeze);
  r.add("Unsqueeze", unsqueeze);
  r.add("Transpose", transpose);
  r.add("Expand", expand);
  r.add("Tile", tile);
  r.add("Concat", concat);
  r.add("Split", split);
  r.add("Gather", gather);
  r.add("Identity", [](const KernelContext& ctx) { return std::vector<Tensor>{ctx.input(0)}; });
  r.add("Dropout", dropout);
  r.add("ReverseSequence", reverseSequence);
  r.add("DepthToSpace", [](const KernelContext& ctx) { return blockRearrange(ctx, true); });
  r.add("SpaceToDepth", [](const KernelContext& ctx) { return blockRearrange(ctx, false); });
}

}  // namespace convopt::runtime::reference
