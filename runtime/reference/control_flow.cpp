// If, Loop and Scan: control flow around subgraph bodies, each body run by the
// interpreter with the node's captured outer values bound (KernelContext::runBody).
#include <algorithm>
#include <limits>

#include <fmt/ranges.h>

#include "runtime/reference/broadcast.h"
#include "runtime/reference/kernel.h"

namespace convopt::runtime::reference {
namespace {

// The truth of a one-element condition (bool, or any number: nonzero is true).
bool truth(const KernelContext& ctx, const Tensor& t, const char* what) {
  if (t.numel() != 1) ctx.fail("{} has {} elements, not 1", what, t.numel());
  return dispatchNumeric(ctx, t.dtype(), [&](auto tag) { return t.data<decltype(tag)>()[0] != decltype(tag){}; });
}

std::vector<const Tensor*> pointers(const std::vector<Tensor>& tensors) {
  std::vector<const Tensor*> out;
  for (const Tensor& t : tensors) out.push_back(&t);
  return out;
}

// in[..., index, ...] along `axis`, that axis dropped.
Tensor sliceAt(const Tensor& in, int64_t axis, int64_t index) {
  std::vector<int64_t> dims = in.dims(), strides = stridesOf(in.dims());
  int64_t base = index * strides[axis];
  dims.erase(dims.begin() + axis);
  strides.erase(strides.begin() + axis);
  return stridedCopy(in, dims, strides, base);
}

DType declaredType(const ir::Value* v) { return v->type.dtype == DType::Undefined ? DType::Float : v->type.dtype; }

// The slices, equally shaped, stacked along a new axis `axis`. An empty stack
// takes its element type and shape from `bodyOutput`'s declaration: [0, dims...]
// where all its dims are known (as the model then declares the node's output),
// else [0].
Tensor stack(const KernelContext& ctx, const std::vector<Tensor>& slices, int64_t axis, const ir::Value* bodyOutput) {
  std::vector<int64_t> dims;
  Tensor stacked;
  if (slices.empty()) {
    if (bodyOutput->type.hasStaticShape()) dims = bodyOutput->type.staticShape();
    dims.insert(dims.begin(), 0);
    stacked = Tensor(declaredType(bodyOutput), dims);
  } else {
    const Tensor& first = slices.front();
    for (const Tensor& s : slices)
      if (s.dtype() != first.dtype() || s.dims() != first.dims())
        ctx.fail("scan output [{}] differs from the first iteration's [{}]", fmt::join(s.dims(), ","),
                 fmt::join(first.dims(), ","));
    dims = first.dims();
    dims.insert(dims.begin(), int64_t(slices.size()));
    stacked = Tensor(first.dtype(), dims);
    size_t offset = 0;
    for (const Tensor& s : slices) {
      if (s.byteSize() > 0) std::copy(s.bytes().begin(), s.bytes().end(), stacked.mutableBytes().begin() + offset);
      offset += s.byteSize();
    }
  }
  axis = ctx.normalizeAxis(axis, int64_t(dims.size()));
  if (axis == 0) return stacked;
  // Move the stacking axis from 0 to `axis`.
  std::vector<int64_t> from = stridesOf(dims);
  std::vector<int64_t> outDims(dims.begin() + 1, dims.end()), strides(from.begin() + 1, from.end());
  outDims.insert(outDims.begin() + axis, dims[0]);
  strides.insert(strides.begin() + axis, from[0]);
  return stridedCopy(stacked, outDims, strides);
}

std::vector<Tensor> ifOp(const KernelContext& ctx) {
  bool cond = truth(ctx, ctx.input(0), "cond");
  std::vector<Tensor> outs = ctx.runBody(ctx.body(cond ? "then_branch" : "else_branch"), {});
  if (outs.size() != ctx.numOutputs())
    ctx.fail("its {} gives {} outputs; the node has {}", cond ? "then_branch" : "else_branch", outs.size(),
             ctx.numOutputs());
  return outs;
}

// Loop (opset 1-21): inputs (M, cond, carried...), body (iteration, cond, carried...) ->
// (cond, carried..., scanned...); outputs the final carried values, then each scanned output stacked.
std::vector<Tensor> loop(const KernelContext& ctx) {
  const ir::Graph& body = ctx.body("body");
  const size_t carried = ctx.numInputs() > 2 ? ctx.numInputs() - 2 : 0;
  if (body.inputs().size() != carried + 2 || body.outputs().size() < carried + 1)
    ctx.fail("its body has {} inputs and {} outputs; {} loop-carried values need {} and at least {}",
             body.inputs().size(), body.outputs().size(), carried, carried + 2, carried + 1);
  const size_t scanned = body.outputs().size() - 1 - carried;
  int64_t trips = std::numeric_limits<int64_t>::max();
  if (const Tensor* m = ctx.optionalInput(0)) {
    if (m->numel() != 1) ctx.fail("M has {} elements, not 1", m->numel());
    trips = m->toInt64Vector()[0];
  }
  bool keepGoing = ctx.hasInput(1) ? truth(ctx, ctx.input(1), "cond") : true;
  std::vector<Tensor> state;
  for (size_t i = 0; i < carried; ++i) state.push_back(ctx.input(2 + i));
  std::vector<std::vector<Tensor>> scans(scanned);
  const Tensor running = Tensor::fromVector<uint8_t>(DType::Bool, {}, {1});
  for (int64_t i = 0; i < trips && keepGoing; ++i) {
    const Tensor iteration = Tensor::scalarInt64(i);
    std::vector<const Tensor*> args = {&iteration, &running};
    for (const Tensor& t : state) args.push_back(&t);
    std::vector<Tensor> outs = ctx.runBody(body, args);
    keepGoing = truth(ctx, outs[0], "the body's condition output");
    std::move(outs.begin() + 1, outs.begin() + 1 + carried, state.begin());
    for (size_t k = 0; k < scanned; ++k) scans[k].push_back(std::move(outs[1 + carried + k]));
  }
  std::vector<Tensor> results = std::move(state);
  for (size_t k = 0; k < scanned; ++k) results.push_back(stack(ctx, scans[k], 0, body.outputs()[1 + carried + k]));
  return results;
}

// Per-input or per-output axes / directions attribute: `count` values, zeros by default.
std::vector<int64_t> perTensor(const KernelContext& ctx, const char* name, size_t count) {
  std::vector<int64_t> values = ctx.getInts(name, std::vector<int64_t>(count, 0));
  if (values.size() != count) ctx.fail("{} has {} values for {} tensors", name, values.size(), count);
  return values;
}

// One scan: the states threaded through the body, each scanned input sliced
// along its axis in its direction; returns the final states, then each scan output stacked.
struct ScanPlan {
  size_t states;
  std::vector<int64_t> inAxes, inReverse, outAxes, outReverse;
};

std::vector<Tensor> runScan(const KernelContext& ctx, const ir::Graph& body, const ScanPlan& plan,
                            std::vector<Tensor> state, const std::vector<Tensor>& scanned) {
  int64_t length = -1;
  std::vector<int64_t> axes = plan.inAxes;
  for (size_t j = 0; j < scanned.size(); ++j) {
    axes[j] = ctx.normalizeAxis(axes[j], scanned[j].rank());
    if (length >= 0 && scanned[j].dims()[axes[j]] != length)
      ctx.fail("scanned input {} has length {}, the first {}", j, scanned[j].dims()[axes[j]], length);
    length = scanned[j].dims()[axes[j]];
  }
  const size_t outputs = plan.outAxes.size();
  std::vector<std::vector<Tensor>> scans(outputs);
  for (int64_t t = 0; t < length; ++t) {
    std::vector<Tensor> slices;
    for (size_t j = 0; j < scanned.size(); ++j)
      slices.push_back(sliceAt(scanned[j], axes[j], plan.inReverse[j] ? length - 1 - t : t));
    std::vector<const Tensor*> args = pointers(state);
    for (const Tensor& s : slices) args.push_back(&s);
    std::vector<Tensor> outs = ctx.runBody(body, args);
    std::move(outs.begin(), outs.begin() + plan.states, state.begin());
    for (size_t k = 0; k < outputs; ++k) scans[k].push_back(std::move(outs[plan.states + k]));
  }
  for (size_t k = 0; k < outputs; ++k) {
    if (plan.outReverse[k]) std::reverse(scans[k].begin(), scans[k].end());
    state.push_back(stack(ctx, scans[k], plan.outAxes[k], body.outputs()[plan.states + k]));
  }
  return state;
}

// Scan: inputs ([sequence_lens before opset 9,] states..., scanned...), body
// (states..., slices...) -> (states..., scan outputs...). Before opset 9 every
// input has a leading batch axis, scanned along axis 1, each batch on its own.
std::vector<Tensor> scan(const KernelContext& ctx) {
  const ir::Graph& body = ctx.body("body");
  const bool batched = ctx.opset < 9;
  const size_t first = batched ? 1 : 0;  // sequence_lens
  const int64_t numScanned = ctx.getInt("num_scan_inputs", -1);
  if (numScanned < 1 || size_t(numScanned) + first > ctx.numInputs())
    ctx.fail("num_scan_inputs is {} for {} inputs", numScanned, ctx.numInputs());
  ScanPlan plan;
  plan.states = ctx.numInputs() - first - size_t(numScanned);
  if (body.inputs().size() != ctx.numInputs() - first || body.outputs().size() < plan.states)
    ctx.fail("its body has {} inputs and {} outputs for {} states and {} scanned inputs", body.inputs().size(),
             body.outputs().size(), plan.states, numScanned);
  const size_t outputs = body.outputs().size() - plan.states;
  plan.inAxes = batched ? std::vector<int64_t>(numScanned, 0) : perTensor(ctx, "scan_input_axes", numScanned);
  plan.inReverse = perTensor(ctx, batched ? "directions" : "scan_input_directions", numScanned);
  plan.outAxes = batched ? std::vector<int64_t>(outputs, 0) : perTensor(ctx, "scan_output_axes", outputs);
  plan.outReverse = batched ? std::vector<int64_t>(outputs, 0) : perTensor(ctx, "scan_output_directions", outputs);
  std::vector<Tensor> inputs;
  for (size_t i = first; i < ctx.numInputs(); ++i) inputs.push_back(ctx.input(i));
  if (!batched) {
    std::vector<Tensor> scanned(inputs.begin() + plan.states, inputs.end());
    inputs.resize(plan.states);
    return runScan(ctx, body, plan, std::move(inputs), scanned);
  }
  const int64_t batch = inputs[0].rank() > 0 ? inputs[0].dims()[0] : 0;
  if (const Tensor* lengths = ctx.optionalInput(0))
    for (int64_t n : lengths->toInt64Vector())
      if (inputs.back().rank() < 2 || n != inputs.back().dims()[1])
        ctx.fail("sequence_lens shorter than the scanned inputs are not supported");
  std::vector<std::vector<Tensor>> perBatch(plan.states + outputs);
  for (int64_t b = 0; b < batch; ++b) {
    std::vector<Tensor> state, scanned;
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (inputs[i].rank() < 1 || inputs[i].dims()[0] != batch) ctx.fail("input {} has no batch axis of {}", i, batch);
      (i < plan.states ? state : scanned).push_back(sliceAt(inputs[i], 0, b));
    }
    std::vector<Tensor> results = runScan(ctx, body, plan, std::move(state), scanned);
    for (size_t k = 0; k < results.size(); ++k) perBatch[k].push_back(std::move(results[k]));
  }
  std::vector<Tensor> results;
  for (size_t k = 0; k < perBatch.size(); ++k) results.push_back(stack(ctx, perBatch[k], 0, body.outputs()[k]));
  return results;
}

}  // namespace

void registerControlFlowKernels(KernelRegistry& r) {
  r.add("If", ifOp);
  r.add("Loop", loop);
  r.add("Scan", scan);
}

}  // namespace convopt::runtime::reference
