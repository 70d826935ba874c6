// fold-pad: a zero constant Pad before a Conv becomes part of the Conv's pads.
//
//   Before: p = Pad<mode="constant">(x, pads=[0,0,t,l, 0,0,b,r]); y = Conv<pads=[T,L,B,R]>(p, W)
//   After:  y = Conv<pads=[T+t, L+l, B+b, R+r]>(x, W)
//
// Legality:
//   - the Pad's mode is "constant" and its value is 0 (absent, or a constant 0);
//   - its pads are constant (input 1 from opset 11, attribute before), non-negative,
//     and zero on the batch and channel dims;
//   - opset 18+ `axes` input is absent (pads then cover every dim);
//   - the Pad output is read only by Conv nodes whose auto_pad is NOTSET (absent);
//     every such Conv is updated, so the Pad goes away.
#include <fmt/format.h>

#include "passes/candidate_loop.h"
#include "passes/conv_utils.h"

namespace convopt::passes {
namespace {

Expected<std::vector<int64_t>> readPads(const ir::Node& pad, int64_t opset) {
  if (pad.getString("mode", "constant") != "constant") return Status::refuse("mode is not constant");
  std::vector<int64_t> pads;
  if (opset < 11) {
    pads = pad.getInts("pads", {});
    if (pad.getFloat("value", 0.0f) != 0.0f) return Status::refuse("pad value is not 0");
  } else {
    const ir::Tensor* p = constantTensor(pad.input(1));
    if (!p) return Status::refuse("pads are not a constant");
    pads = p->toInt64Vector();
    if (pad.input(2)) {
      const ir::Tensor* value = constantTensor(pad.input(2));
      if (!value) return Status::refuse("pad value is not a constant");
      if (value->numel() > 0 && value->toFloatVector()[0] != 0.0f) return Status::refuse("pad value is not 0");
    }
    if (pad.input(3)) return Status::refuse("axes input is given");
  }
  if (pads.size() < 4 || pads.size() % 2 != 0)
    return Status::refuse("pads do not cover a batch, a channel and a spatial dim");
  size_t rank = pads.size() / 2;
  for (int64_t p : pads)
    if (p < 0) return Status::refuse("pads are negative (cropping)");
  if (pads[0] != 0 || pads[1] != 0 || pads[rank] != 0 || pads[rank + 1] != 0)
    return Status::refuse("pads the batch or channel dim");
  return pads;
}

Status checkReaders(const ir::Value& padded, size_t spatialRank) {
  if (padded.isGraphOutput()) return Status::refuse("output is a graph output");
  for (const ir::Use& use : padded.uses()) {
    const ir::Node& reader = *use.user;
    if (reader.opType != "Conv" || !reader.domain.empty() || use.inputIndex != 0)
      return Status::refuse(fmt::format("output is read by {} which is not a Conv's data input", reader.label()));
    if (reader.getString("auto_pad", "NOTSET") != "NOTSET")
      return Status::refuse(fmt::format("{} uses auto_pad", reader.label()));
    std::vector<int64_t> convPads = reader.getInts("pads", {});
    if (!convPads.empty() && convPads.size() != 2 * spatialRank)
      return Status::refuse(fmt::format("{} pads have another rank", reader.label()));
  }
  return Status::success();
}

// The Pad's pads (batch, channel, spatial dims; begins, then ends), or why it does not fold.
Expected<std::vector<int64_t>> planFoldPad(const ir::Node& pad, int64_t opset) {
  Expected<std::vector<int64_t>> pads = readPads(pad, opset);
  if (!pads) return pads;
  if (Status readers = checkReaders(*pad.output(0), pads->size() / 2 - 2); !readers) return readers;
  return pads;
}

void foldPad(ir::Graph& graph, ir::Node& pad, const std::vector<int64_t>& pads) {
  size_t rank = pads.size() / 2;
  for (const ir::Use& use : std::vector<ir::Use>(pad.output(0)->uses())) {
    ir::Node& conv = *use.user;
    std::vector<int64_t> convPads = conv.getInts("pads", std::vector<int64_t>(2 * (rank - 2), 0));
    for (size_t d = 0; d + 2 < rank; ++d) {
      convPads[d] += pads[d + 2];
      convPads[d + rank - 2] += pads[d + 2 + rank];
    }
    conv.setAttribute(ir::Attribute::makeInts("pads", convPads));
    conv.setInput(0, pad.input(0));
    noteRewrite(conv, "fold-pad", "folded Pad " + pad.label() + " into pads");
  }
  graph.eraseNode(&pad);
}

class FoldPadPass final : public Pass {
 public:
  std::string_view name() const override { return "fold-pad"; }

  void run(ir::Graph& graph, PassContext& context) override {
    rewriteCandidates(
        graph, context, isDefaultOp("Pad"),
        [&](ir::Node& pad) { return planFoldPad(pad, context.model.defaultOpset()); },
        [&](ir::Node& pad, const std::vector<int64_t>& pads) { foldPad(graph, pad, pads); });
  }
};

}  // namespace

std::unique_ptr<Pass> createFoldPadPass() { return std::make_unique<FoldPadPass>(); }

}  // namespace convopt::passes
