#include "passes/seeded_dims.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "ir/conv_info.h"
#include "ir/error.h"

namespace convopt::passes {
namespace {

// The least extent of spatial dim `d` that the windowed nodes among `readers`
// reading `value` as their data need, so that seeded inputs fit their windows.
int64_t leastExtent(const std::string& value, const std::vector<const ir::Node*>& readers, size_t d) {
  int64_t least = 1;
  for (const ir::Node* node : readers) {
    if (!node->domain.empty() || !node->input(0) || node->input(0)->name() != value) continue;
    std::vector<int64_t> kernel, dilations, pads;
    if (node->opType == "Conv") {
      try {
        ir::ConvInfo conv = ir::analyzeConv(*node);
        kernel = conv.kernelShape, dilations = conv.dilations, pads = conv.pads;
      } catch (const InputError&) {
        continue;  // the check itself will name what is wrong with it
      }
    } else if (node->opType == "MaxPool" || node->opType == "AveragePool" || node->opType == "LpPool") {
      kernel = node->getInts("kernel_shape", {});
      dilations = node->getInts("dilations", {}), pads = node->getInts("pads", {});
    }
    if (d >= kernel.size()) continue;
    int64_t dilation = d < dilations.size() ? dilations[d] : 1;
    int64_t padding = pads.size() == 2 * kernel.size() ? pads[d] + pads[d + kernel.size()] : 0;
    least = std::max(least, (kernel[d] - 1) * dilation + 1 - padding);
  }
  return least;
}

// Dim `d` of input `i` of the node when its shape is static, else 0.
int64_t staticDim(const ir::Node& node, size_t i, int64_t d) {
  const ir::Value* value = i < node.inputs().size() ? node.input(i) : nullptr;
  if (!value || !value->type.hasStaticShape()) return 0;
  std::vector<int64_t> dims = value->type.staticShape();
  return d >= 0 && d < int64_t(dims.size()) ? dims[size_t(d)] : 0;
}

bool isElementwiseBinary(const std::string& op) {
  return op == "Add" || op == "Sub" || op == "Mul" || op == "Div" || op == "PRelu" || op == "Pow";
}

// The channels the node needs in its input `i` of `rank` dims, 0 when it does not say.
int64_t channelsNeeded(const ir::Node& node, size_t i, size_t rank) {
  if (node.opType == "Conv" && i == 0) return staticDim(node, 1, 1) * node.getInt("group", 1);
  if (node.opType == "ConvTranspose" && i == 0) return staticDim(node, 1, 0);
  if ((node.opType == "BatchNormalization" || node.opType == "InstanceNormalization") && i == 0)
    return staticDim(node, 1, 0);
  if (isElementwiseBinary(node.opType) && node.inputs().size() == 2) {  // the other operand, broadcast from the right
    const ir::Value* other = node.input(1 - i);
    int64_t axis = other && other->type.shape ? int64_t(other->type.shape->size()) - int64_t(rank - 1) : -1;
    int64_t channels = staticDim(node, 1 - i, axis);
    return channels > 1 ? channels : 0;
  }
  return 0;
}

bool keepsChannels(const ir::Node& node) {
  static const std::set<std::string> unary = {
      "Relu",  "LeakyRelu", "Sigmoid",  "Tanh",    "Clip",    "Identity",    "Cast",  "HardSigmoid", "HardSwish",
      "Elu",   "Selu",      "Softplus", "Neg",     "Abs",     "Exp",         "Log",   "Sqrt",        "Reciprocal",
      "Floor", "Ceil",      "Round",    "Dropout", "MaxPool", "AveragePool", "LpPool"};
  return unary.count(node.opType) || isElementwiseBinary(node.opType);
}

// The channels the nodes among `readers` reading `value` need, directly or
// through ops that keep the channels; 0 when none says. Iterative, each value
// looked at once: a long chain costs no stack, and paths that part and meet
// again (x * Sigmoid(x), a residual Add) are not walked twice.
int64_t channelsNeeded(const std::string& value, const std::vector<const ir::Node*>& readers, size_t rank) {
  std::multimap<std::string, std::pair<const ir::Node*, size_t>> uses;
  for (const ir::Node* node : readers)
    for (size_t i = 0; node->domain.empty() && i < node->inputs().size(); ++i)
      if (node->input(i)) uses.emplace(node->input(i)->name(), std::pair{node, i});
  std::vector<std::string> pending{value};
  std::set<std::string> seen{value};
  while (!pending.empty()) {
    std::string next = std::move(pending.back());
    pending.pop_back();
    for (auto [it, end] = uses.equal_range(next); it != end; ++it) {
      auto [node, i] = it->second;
      if (int64_t channels = channelsNeeded(*node, i, rank)) return channels;
      const ir::Value* out = keepsChannels(*node) && !node->outputs().empty() ? node->output(0) : nullptr;
      if (out && seen.insert(out->name()).second) pending.push_back(out->name());
    }
  }
  return 0;
}

}  // namespace

std::vector<int64_t> seededDims(const ir::Value& value, const std::vector<const ir::Node*>& readers,
                                int64_t defaultSize, std::vector<std::string>& sized) {
  const std::vector<ir::Dim>& shape = *value.type.shape;
  std::vector<int64_t> dims;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d].isStatic()) {
      dims.push_back(shape[d].value);
      continue;
    }
    int64_t channels = d == 1 ? channelsNeeded(value.name(), readers, shape.size()) : 0;
    dims.push_back(d == 0   ? 1
                   : d == 1 ? (channels > 0 ? channels : defaultSize)
                            : std::max(defaultSize, leastExtent(value.name(), readers, d - 2)));
    sized.push_back(fmt::format("'{}' dim {} = {}", value.name(), d, dims.back()));
  }
  return dims;
}

}  // namespace convopt::passes
