// Softmax -> softmax kernels (codegen/softmax_kernel.h) on plain tensors:
//   opset < 13: the input is coerced to 2-D at `axis` (default 1), rows of
//     prod(dims[axis:]) elements: always contiguous;
//   opset >= 13: along `axis` (default -1): [prod(dims[:axis]), dims[axis],
//     prod(dims[axis+1:])], a lane per column when the axis is not innermost.
#include <fmt/format.h>

#include <functional>
#include <numeric>

#include "codegen/fusion/epilogue_fusion.h"
#include "codegen/kernels/softmax_kernel.h"
#include "codegen/lowering/op_lowering.h"

namespace convopt::codegen {

Status lowerSoftmax(LoweringContext& context, const ir::Node& node) {
  const ir::Value* input = node.input(0);
  const ir::Value* output = node.output(0);
  if (!isStaticFloat(input) || !isStaticFloat(output)) return Status::refuse("not a float tensor of static shape");
  std::vector<int64_t> dims = input->type.staticShape();
  int64_t rank = int64_t(dims.size());
  bool coerced = context.opset() < 13;
  int64_t axis = node.getInt("axis", coerced ? 1 : -1);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis > rank - (coerced ? 0 : 1))
    return Status::refuse(fmt::format("axis out of range for rank {}", rank));
  auto product = [&](int64_t first, int64_t last) {
    return std::accumulate(dims.begin() + first, dims.begin() + last, int64_t(1), std::multiplies<>());
  };
  SoftmaxSpec spec = coerced ? SoftmaxSpec{product(0, axis), product(axis, rank), 1}
                             : SoftmaxSpec{product(0, axis), dims[axis], product(axis + 1, rank)};
  if (spec.rows * spec.length * spec.inner == 0) return Status::refuse("empty tensor");
  std::vector<KernelArg> args = {{KernelArg::Kind::Slot, context.plainSlot(input)}};
  args.push_back({KernelArg::Kind::Slot, context.definePlain(output)});
  std::string name = context.kernelName("softmax");
  emitSoftmaxKernel(context.module(), name, spec, context.vectorWidth());
  std::string what = spec.inner == 1
                         ? fmt::format("{} rows of {}", spec.rows, spec.length)
                         : fmt::format("{} rows of {} along an axis of {}", spec.rows, spec.inner, spec.length);
  context.addKernel(name, softmaxWorkUnits(spec, context.vectorWidth()), std::move(args), what, node);
  return Status::success();
}

}  // namespace convopt::codegen
