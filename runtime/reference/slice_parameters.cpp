#include "runtime/reference/slice_parameters.h"

#include <fmt/format.h>

#include "runtime/reference/slice_range.h"

namespace convopt::runtime::reference {

Status readSliceParameters(const ir::Node& node, const std::function<const ir::Tensor*(const ir::Value*)>& constantOf,
                           int64_t opset, SliceParameters& params) {
  const char* names[] = {"starts", "ends", "axes", "steps"};
  std::vector<int64_t>* fields[] = {&params.starts, &params.ends, &params.axes, &params.steps};
  for (size_t i = 0; i < 4; ++i) {
    if (opset < 10) {
      *fields[i] = i == 3 ? std::vector<int64_t>{} : node.getInts(names[i], {});
      continue;
    }
    const ir::Value* input = node.input(i + 1);
    const ir::Tensor* constant = input ? constantOf(input) : nullptr;
    if (input && !constant) return Status::refuse(fmt::format("{} is not a constant", names[i]));
    *fields[i] = constant ? constant->toInt64Vector() : std::vector<int64_t>{};
  }
  return Status::success();
}

Status SliceParameters::resolve(const std::vector<int64_t>& dims, std::vector<SliceAxis>& result) const {
  const int64_t rank = int64_t(dims.size());
  std::vector<int64_t> sliced = axes, stepping = steps;
  if (sliced.empty())
    for (size_t i = 0; i < starts.size(); ++i) sliced.push_back(int64_t(i));
  if (stepping.empty()) stepping.assign(starts.size(), 1);
  if (ends.size() != starts.size() || sliced.size() != starts.size() || stepping.size() != starts.size())
    return Status::refuse("starts, ends, axes and steps have different lengths");
  result.clear();
  for (int64_t length : dims) result.push_back({0, length, 1});
  std::vector<bool> seen(dims.size(), false);
  for (size_t i = 0; i < starts.size(); ++i) {
    int64_t axis = sliced[i] < 0 ? sliced[i] + rank : sliced[i], step = stepping[i];
    if (axis < 0 || axis >= rank)
      return Status::refuse(fmt::format("axis {} is out of range for rank {}", sliced[i], rank));
    if (seen[axis]) return Status::refuse(fmt::format("axis {} is repeated", axis));
    if (step == 0) return Status::refuse(fmt::format("step is 0 along axis {}", axis));
    seen[axis] = true;
    auto [start, count] = sliceRange(starts[i], ends[i], step, dims[axis]);
    result[axis] = {start, count, step};
  }
  return Status::success();
}

}  // namespace convopt::runtime::reference
