// fold-batchnorm: an inference BatchNormalization after a Conv becomes part of
// the Conv's weight and bias.
//
//   Before: c = Conv(x, W, b); y = BatchNormalization(c, scale, B, mean, var)
//   After:  y = Conv(x, W', b')   s = scale / sqrt(var + epsilon)
//           W'[o] = s[o] * W[o],  b'[o] = s[o] * (b[o] - mean[o]) + B[o]
//
// Legality:
//   - the BN input is a Conv with constant float weight (and bias, if any);
//   - the Conv output is read by the BN only and is not a graph output;
//   - BN is in inference mode: training_mode = 0 and only output 0 is used
//     (opset < 9: spatial = 1; opset < 7: is_test = 1);
//   - scale, B, mean and var are constant float vectors of C_out elements;
//   - removing the BN renames no graph output (see bypass.h).
#include <fmt/format.h>

#include <cmath>

#include "passes/bypass.h"
#include "passes/candidate_loop.h"
#include "passes/conv_affine.h"

namespace convopt::passes {
namespace {

struct Match {
  ConstantConv conv;
  std::vector<float> scale;
  std::vector<float> shift;
};

Expected<Match> matchBatchNorm(ir::Node& bn, int64_t opset) {
  ir::Value* in = bn.input(0);
  if (!in || !in->producer()) return Status::refuse("input is not produced by a node");
  Expected<ConstantConv> conv = matchConstantConv(*in->producer());
  if (!conv) return Status::refuse("input producer: " + conv.reason());
  if (!hasSingleUse(in)) return Status::refuse("Conv output has other readers");
  if (bn.getInt("training_mode", 0) != 0) return Status::refuse("training_mode = 1");
  if (opset < 9 && bn.getInt("spatial", 1) != 1) return Status::refuse("spatial = 0 (per-activation statistics)");
  if (opset < 7 && bn.getInt("is_test", 0) == 0) return Status::refuse("is_test = 0 (training mode)");
  for (size_t i = 1; i < bn.outputs().size(); ++i)
    if (bn.output(i) && (bn.output(i)->hasUses() || bn.output(i)->isGraphOutput()))
      return Status::refuse("running statistics output is used");
  std::vector<float> params[4];
  for (size_t i = 0; i < 4; ++i) {
    const ir::Tensor* t = constantTensor(bn.input(i + 1));
    if (!t || t->dtype() != ir::DType::Float)
      return Status::refuse(fmt::format("parameter {} is not a constant float tensor", i + 1));
    if (t->numel() != conv->outChannels)
      return Status::refuse(fmt::format("parameter {} has {} elements, Conv has {} output channels", i + 1, t->numel(),
                                        conv->outChannels));
    params[i] = t->toFloatVector();
  }
  if (Status bypassable = checkBypassable(bn, in); !bypassable) return bypassable;
  std::vector<float> scale, shift;
  float epsilon = bn.getFloat("epsilon", 1e-5f);
  for (int64_t o = 0; o < conv->outChannels; ++o) {
    float s = params[0][o] / std::sqrt(params[3][o] + epsilon);
    scale.push_back(s);
    shift.push_back(params[1][o] - params[2][o] * s);
  }
  return Match{*conv, std::move(scale), std::move(shift)};
}

void foldBatchNorm(ir::Graph& graph, ir::Node& bn, const Match& m) {
  foldAffineIntoConv(graph, m.conv, m.scale, m.shift);
  noteRewrite(*m.conv.node, "fold-batchnorm", "folded BatchNormalization " + bn.label() + " into the weights");
  bypassNode(graph, &bn, bn.input(0));
}

class FoldBatchNormPass final : public Pass {
 public:
  std::string_view name() const override { return "fold-batchnorm"; }

  void run(ir::Graph& graph, PassContext& context) override {
    rewriteCandidates(
        graph, context, isDefaultOp("BatchNormalization"),
        [&](ir::Node& bn) { return matchBatchNorm(bn, context.model.defaultOpset()); },
        [&](ir::Node& bn, const Match& m) { foldBatchNorm(graph, bn, m); });
  }
};

}  // namespace

std::unique_ptr<Pass> createFoldBatchNormPass() { return std::make_unique<FoldBatchNormPass>(); }

}  // namespace convopt::passes
