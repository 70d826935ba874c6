#include "codegen/fusion/channel_gather_match.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "codegen/lowering/static_values.h"
#include "runtime/reference/slice_parameters.h"

namespace convopt::codegen {

namespace {

bool isDefault(const ir::Node& node, const char* op) { return node.domain.empty() && node.opType == op; }

bool isChannelAxis(const ir::Node& node) {
  int64_t axis = node.getInt("axis", 0);
  return axis == 1 || axis == -3;
}

// The node reading `value` as its data input when that is its only use.
const ir::Node* onlyDataUser(const ir::Value* value) {
  if (value->isGraphOutput() || value->uses().size() != 1 || value->uses()[0].inputIndex != 0) return nullptr;
  return value->uses()[0].user;
}

Status checkSources(const ir::Node& node, const std::vector<const ir::Value*>& sources,
                    const ConstantLookup& constantOf) {
  for (const ir::Value* source : sources) {
    if (!isStatic4dFloat(source)) return Status::refuse("not a static 4-D float tensor");
    if (constantOf(source)) return Status::refuse("constant operand");
  }
  for (const ir::Value* output : node.outputs())
    if (!isStatic4dFloat(output)) return Status::refuse("output is not a static 4-D float tensor");
  return Status::success();
}

std::vector<ChannelGatherSpec::Channel> range(int source, int64_t first, int64_t count, int64_t step = 1) {
  std::vector<ChannelGatherSpec::Channel> channels;
  for (int64_t k = 0; k < count; ++k) channels.push_back({source, first + k * step});
  return channels;
}

Status matchConcat(const ir::Node& node, const ConstantLookup& constantOf, ChannelGatherMatch& match) {
  if (!isChannelAxis(node)) return Status::refuse("not along channels");
  std::vector<const ir::Value*> sources(node.inputs().begin(), node.inputs().end());
  if (Status status = checkSources(node, sources, constantOf); !status) return status;
  ChannelGather gather{node.output(0), sources, {}};
  for (size_t k = 0; k < sources.size(); ++k) {
    std::vector<ChannelGatherSpec::Channel> part = range(int(k), 0, sources[k]->type.staticShape()[1]);
    gather.channels.insert(gather.channels.end(), part.begin(), part.end());
  }
  match.outputs.push_back(gather);
  return Status::success();
}

Status matchSplit(const ir::Node& node, const ConstantLookup& constantOf, ChannelGatherMatch& match) {
  if (!isChannelAxis(node)) return Status::refuse("not along channels");
  if (Status status = checkSources(node, {node.input(0)}, constantOf); !status) return status;
  int64_t first = 0;
  for (const ir::Value* output : node.outputs()) {
    int64_t channels = output->type.staticShape()[1];
    match.outputs.push_back({output, {node.input(0)}, range(0, first, channels)});
    first += channels;
  }
  return Status::success();
}

Status matchSlice(const ir::Node& node, const ConstantLookup& constantOf, int64_t opset, ChannelGatherMatch& match) {
  runtime::reference::SliceParameters params;
  if (Status status = runtime::reference::readSliceParameters(node, constantOf, opset, params); !status) return status;
  if (Status status = checkSources(node, {node.input(0)}, constantOf); !status) return status;
  std::vector<int64_t> dims = node.input(0)->type.staticShape();
  std::vector<runtime::reference::SliceAxis> axes;
  if (Status status = params.resolve(dims, axes); !status) return status;
  for (size_t axis : {0, 2, 3})
    if (!axes[axis].whole(dims[axis]))  // a window of rows, columns or images: a strided copy
      return Status::refuse(fmt::format("slices axis {}: not a channel slice", axis));
  if (axes[1].count == 0) return Status::refuse("empty slice");
  ChannelGather gather{node.output(0), {node.input(0)}, range(0, axes[1].start, axes[1].count, axes[1].step)};
  if (node.output(0)->type.staticShape() != std::vector<int64_t>{dims[0], axes[1].count, dims[2], dims[3]})
    return Status::refuse("inferred output shape disagrees with the slice");
  match.outputs.push_back(gather);
  return Status::success();
}

// Output channel -> input channel of reshape(x, split) -> Transpose(perm) -> reshape back, or why
// that is not a channel permutation. Axes of `split` are grouped by where they fall in x's
// row-major [N | C | H·W]: 0 batch, 1 channels, 2 spatial, -1 size 1 (free to move).
Status channelPermutation(const std::vector<int64_t>& x, const std::vector<int64_t>& split,
                          const std::vector<int64_t>& perm, std::vector<int64_t>& channels) {
  const int64_t n = x[0], c = x[1];
  std::vector<int> group(split.size(), -1);
  int64_t before = 1;
  for (size_t i = 0; i < split.size(); ++i) {
    if (split[i] == 1) continue;
    int64_t after = before * split[i];
    group[i] = before < n ? 0 : before < n * c ? 1 : 2;
    if ((before < n && after > n) || (before < n * c && after > n * c))
      return Status::refuse(fmt::format("reshape axis {} mixes batch, channel or spatial elements", i));
    before = after;
  }
  std::vector<int64_t> order;  // non-unit input axes in output order
  for (int64_t axis : perm)
    if (group[axis] >= 0) order.push_back(axis);
  for (size_t j = 1; j < order.size(); ++j) {
    int previous = group[order[j - 1]], current = group[order[j]];
    if (current < previous || (current == previous && current != 1 && order[j] < order[j - 1]))
      return Status::refuse("the Transpose moves batch or spatial axes: not a channel permutation");
  }
  std::vector<int64_t> inputAxes, outputAxes;
  for (size_t i = 0; i < split.size(); ++i)
    if (group[i] == 1) inputAxes.push_back(int64_t(i));
  for (int64_t axis : order)
    if (group[axis] == 1) outputAxes.push_back(axis);
  for (int64_t o = 0; o < c; ++o) {
    std::map<int64_t, int64_t> digit;
    int64_t rest = o;
    for (auto axis = outputAxes.rbegin(); axis != outputAxes.rend(); ++axis)
      digit[*axis] = rest % split[*axis], rest /= split[*axis];
    int64_t in = 0;
    for (int64_t axis : inputAxes) in = in * split[axis] + digit[axis];
    channels.push_back(in);
  }
  return Status::success();
}

Status matchShuffle(const ir::Node& first, const ConstantLookup& constantOf, ChannelGatherMatch& match) {
  const ir::Value* x = first.input(0);
  if (!isStatic4dFloat(x) || constantOf(x)) return Status::refuse("not a reshape of a static 4-D float activation");
  const ir::Node* transpose = onlyDataUser(first.output(0));
  if (!transpose || !isDefault(*transpose, "Transpose"))
    return Status::refuse("not followed by a Transpose as its only use");
  const ir::Node* last = onlyDataUser(transpose->output(0));
  if (!last || !isReshapeLike(*last))
    return Status::refuse("the Transpose is not followed by a reshape as its only use");
  const ir::Value *split = first.output(0), *transposed = transpose->output(0), *y = last->output(0);
  if (!split->type.hasStaticShape() || !transposed->type.hasStaticShape() || !y->type.hasStaticShape())
    return Status::refuse("intermediate shapes are not static");
  if (y->type != x->type) return Status::refuse("the final reshape does not restore the input's shape");
  std::vector<int64_t> dims = split->type.staticShape(), perm(dims.size());
  for (size_t i = 0; i < perm.size(); ++i) perm[i] = int64_t(perm.size() - 1 - i);
  perm = transpose->getInts("perm", perm);
  std::vector<int64_t> sorted = perm, permuted;
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i < sorted.size(); ++i)
    if (sorted[i] != int64_t(i)) return Status::refuse("perm is not a permutation");
  for (int64_t axis : perm) permuted.push_back(dims[axis]);
  if (permuted != transposed->type.staticShape()) return Status::refuse("inferred Transpose shape disagrees with perm");
  std::vector<int64_t> channels;
  if (Status status = channelPermutation(x->type.staticShape(), dims, perm, channels); !status) return status;
  ChannelGather gather{y, {x}, {}};
  for (int64_t channel : channels) gather.channels.push_back({0, channel});
  match.outputs.push_back(gather);
  match.absorbed = {transpose, last};
  return Status::success();
}

}  // namespace

bool isReshapeLike(const ir::Node& node) {
  return isDefault(node, "Reshape") || isDefault(node, "Flatten") || isDefault(node, "Squeeze") ||
         isDefault(node, "Unsqueeze");
}

Status matchChannelGather(const ir::Node& node, const ConstantLookup& constantOf, int64_t opset,
                          ChannelGatherMatch& match) {
  match = {};
  match.what = isReshapeLike(node)       ? "shuffle"
               : node.opType == "Concat" ? "concat"
               : node.opType == "Split"  ? "split"
                                         : "slice";
  if (!node.domain.empty()) return Status::refuse("not a default-domain op");
  if (node.opType == "Concat") return matchConcat(node, constantOf, match);
  if (node.opType == "Split") return matchSplit(node, constantOf, match);
  if (node.opType == "Slice") return matchSlice(node, constantOf, opset, match);
  if (isReshapeLike(node)) return matchShuffle(node, constantOf, match);
  return Status::refuse("not a channel gather op");
}

ChannelGather composeGathers(const ChannelGather& inner, const ChannelGather& outer) {
  ChannelGather result{outer.output, inner.sources, {}};
  for (const ChannelGatherSpec::Channel& channel : outer.channels)
    result.channels.push_back(inner.channels.at(channel.channel));
  return result;
}

}  // namespace convopt::codegen
