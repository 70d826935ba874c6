// fold-channel-affine: a per-output-channel Mul or Add after a Conv becomes part
// of the Conv's weight and bias.
//
//   Before: c = Conv(x, W, b); y = Mul(c, s)      Before: c = Conv(x, W, b); y = Add(c, t)
//   After:  y = Conv(x, s * W, s * b)             After:  y = Conv(x, W, b + t)
//
// Legality:
//   - one operand is a Conv with constant float weight (and bias), read by the
//     Mul/Add only and not a graph output;
//   - the other operand is a constant float tensor that is per channel: after
//     right-aligning it with the Conv output (rank R), it has rank <= R and every
//     dim is 1 except the channel dim (index 1), which is 1 or C_out, and
//     every value is finite;
//   - removing the Mul/Add renames no graph output (see bypass.h).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "passes/bypass.h"
#include "passes/candidate_loop.h"
#include "passes/conv_affine.h"

namespace convopt::passes {
namespace {

// The constant's value per output channel, or why it is not per channel.
Expected<std::vector<float>> perChannelValues(const ir::Tensor& t, const ConstantConv& conv) {
  if (t.dtype() != ir::DType::Float) return Status::refuse("the constant operand is not float32");
  int64_t outRank = conv.weight->rank();
  if (t.rank() > outRank) return Status::refuse("the constant operand has a higher rank than the Conv output");
  int64_t channels = 1;
  for (int64_t j = 0; j < t.rank(); ++j) {
    int64_t axis = outRank - t.rank() + j;
    int64_t dim = t.dims()[j];
    if (axis == 1 && (dim == conv.outChannels || dim == 1)) {
      channels = dim;
    } else if (dim != 1) {
      return Status::refuse(fmt::format("the constant operand's dim {} (size {}) is not per channel", j, dim));
    }
  }
  std::vector<float> values = t.toFloatVector();
  if (!std::all_of(values.begin(), values.end(), [](float v) { return std::isfinite(v); }))
    return Status::refuse("the constant operand is not finite (folded, inf * 0 weights would become NaN)");
  std::vector<float> out(static_cast<size_t>(conv.outChannels));
  for (int64_t o = 0; o < conv.outChannels; ++o) out[o] = values[channels == 1 ? 0 : o];
  return out;
}

// A Mul or Add that reads a Conv output (other Muls and Adds are not candidates at all).
bool isCandidate(const ir::Node& node) {
  if ((node.opType != "Mul" && node.opType != "Add") || !node.domain.empty()) return false;
  for (const ir::Value* in : node.inputs())
    if (in && in->producer() && in->producer()->opType == "Conv") return true;
  return false;
}

struct Match {
  ConstantConv conv;
  ir::Value* convOutput = nullptr;
  std::vector<float> scale;
  std::vector<float> shift;
};

Expected<Match> matchAffine(ir::Node& node) {
  if (node.inputs().size() != 2 || !node.input(0) || !node.input(1))
    return Status::refuse("does not have two operands");
  size_t convSide = node.input(0)->producer() && node.input(0)->producer()->opType == "Conv" ? 0 : 1;
  ir::Value* convOutput = node.input(convSide);
  const ir::Tensor* constant = constantTensor(node.input(1 - convSide));
  Expected<ConstantConv> conv = matchConstantConv(*convOutput->producer());
  if (!conv) return Status::refuse("operand producer: " + conv.reason());
  if (!constant) return Status::refuse("the other operand is not a constant");
  if (!hasSingleUse(convOutput)) return Status::refuse("Conv output has other readers");
  Expected<std::vector<float>> values = perChannelValues(*constant, *conv);
  if (!values) return values.status();
  if (Status bypassable = checkBypassable(node, convOutput); !bypassable) return bypassable;
  bool isMul = node.opType == "Mul";
  std::vector<float> scale = isMul ? *values : std::vector<float>(values->size(), 1.0f);
  std::vector<float> shift = isMul ? std::vector<float>(values->size(), 0.0f) : *values;
  return Match{*conv, convOutput, std::move(scale), std::move(shift)};
}

void foldAffine(ir::Graph& graph, ir::Node& node, const Match& m) {
  foldAffineIntoConv(graph, m.conv, m.scale, m.shift);
  noteRewrite(*m.conv.node, "fold-channel-affine", "folded per-channel " + node.opType + " " + node.label());
  bypassNode(graph, &node, m.convOutput);
}

class FoldChannelAffinePass final : public Pass {
 public:
  std::string_view name() const override { return "fold-channel-affine"; }

  void run(ir::Graph& graph, PassContext& context) override {
    rewriteCandidates(graph, context, isCandidate, matchAffine,
                      [&](ir::Node& node, const Match& m) { foldAffine(graph, node, m); });
  }
};

}  // namespace

std::unique_ptr<Pass> createFoldChannelAffinePass() { return std::make_unique<FoldChannelAffinePass>(); }

}  // namespace convopt::passes
