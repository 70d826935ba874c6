// splitconcat-to-grouped: channel branches that are really one grouped Conv.
//
//   Before: x_0..x_{n-1} = Split<axis=1>(x)            (or x_b = Slice(x, [b*w], [(b+1)*w], axes=[1]))
//           y_b = Conv<a>(x_b, W_b, B_b)   for b = 0..n-1
//           y = Concat<axis=1>(y_0, ..., y_{n-1})
//   After:  y = Conv<a, group = n*g>(x, Concat_0(W_b), Concat_0(B_b))    (g: the branches' group)
//
// Legality (each failing condition is a rejection reason, reported on the Concat):
//   - the Concat is on the channel axis (1, or -R+1) and has n >= 2 inputs;
//   - input b is produced by a Conv with constant float weight, read only by the Concat;
//   - every branch Conv has the same attributes in effect (defaults spelt out or
//     not), weight shape and bias presence;
//   - branch b's data input is output b of one Split on the channel axis with exactly n
//     outputs (each read only by its branch), or a constant Slice of one common x
//     taking channels [b*w, (b+1)*w) with step 1 and every other axis whole, as ONNX
//     resolves it (negative or clamped bounds, a negative axis, attributes before
//     opset 10), with x's channel dim known to be n*w;
//     w = the branches' input channels, so the split sizes are equal;
//   - the cost model's estimate (branches + split and concat copies -> one
//     grouped Conv) drops by --min-gain (unless --force).
#include <fmt/format.h>

#include <tuple>

#include "passes/candidate_loop.h"
#include "passes/conv_utils.h"
#include "runtime/reference/slice_parameters.h"

namespace convopt::passes {
namespace {

// Where the branches' data inputs come from.
struct Splitting {
  std::vector<ir::Node*> splitters;  // the Split, or one Slice per branch
  ir::Value* source = nullptr;
};

struct Match {
  std::vector<ConstantConv> branches;
  Splitting splitting;
};

// Equal in effect: strides, dilations and pads with their defaults filled in,
// kernel_shape the weight's (compared with the weight shapes).
bool sameConvAttributes(const ConstantConv& a, const ConstantConv& b) {
  auto filledIn = [](const ConstantConv& c) {
    size_t spatial = size_t(c.weight->rank() - 2);
    const ir::Node& n = *c.node;
    return std::tuple{n.getInts("strides", std::vector<int64_t>(spatial, 1)),
                      n.getInts("dilations", std::vector<int64_t>(spatial, 1)),
                      n.getInts("pads", std::vector<int64_t>(2 * spatial, 0)), c.group,
                      n.getString("auto_pad", "NOTSET")};
  };
  return filledIn(a) == filledIn(b);
}

Expected<std::vector<ConstantConv>> matchBranches(const ir::Node& concat) {
  size_t n = concat.inputs().size();
  if (n < 2) return Status::refuse("fewer than two inputs");
  std::vector<ConstantConv> branches;
  for (size_t b = 0; b < n; ++b) {
    ir::Value* in = concat.input(b);
    if (!in || !in->producer()) return Status::refuse(fmt::format("input {} is not produced by a node", b));
    Expected<ConstantConv> conv = matchConstantConv(*in->producer());
    if (!conv) return Status::refuse(fmt::format("input {}: {}", b, conv.reason()));
    if (!hasSingleUse(in)) return Status::refuse(fmt::format("input {} has other readers", b));
    const ConstantConv& first = b == 0 ? *conv : branches[0];
    if (!sameConvAttributes(*conv, first)) return Status::refuse(fmt::format("branch {} has other Conv attributes", b));
    if (conv->weight->dims() != first.weight->dims())
      return Status::refuse(fmt::format("branch {} has another weight shape", b));
    if ((conv->bias == nullptr) != (first.bias == nullptr))
      return Status::refuse(fmt::format("branch {} differs in having a bias", b));
    branches.push_back(*conv);
  }
  int64_t axis = concat.getInt("axis", 0), rank = branches[0].weight->rank();
  if (axis != 1 && axis != 1 - rank) return Status::refuse("not concatenated on the channel axis");
  return branches;
}

Expected<Splitting> matchSplit(ir::Node& split, const std::vector<ConstantConv>& branches) {
  size_t n = branches.size();
  int64_t axis = split.getInt("axis", 0), rank = branches[0].weight->rank();
  if (axis != 1 && axis != 1 - rank) return Status::refuse("Split is not on the channel axis");
  if (split.outputs().size() != n)
    return Status::refuse(fmt::format("Split has {} outputs, Concat {} inputs", split.outputs().size(), n));
  for (size_t b = 0; b < n; ++b) {
    ir::Value* part = branches[b].node->input(0);
    if (part != split.output(b)) return Status::refuse(fmt::format("branch {} does not read Split output {}", b, b));
    if (!hasSingleUse(part)) return Status::refuse(fmt::format("Split output {} has other readers", b));
  }
  // Outputs of one Split partition x; equal sizes follow from equal weights.
  return Splitting{{&split}, split.input(0)};
}

// The dims a Slice of `source` resolves against: a dim not known stands for a
// length no bound reaches, so only a whole-axis slice of it takes all of it.
std::vector<int64_t> sliceDims(const ir::Value& source) {
  constexpr int64_t kUnknown = int64_t(1) << 40;
  std::vector<int64_t> dims;
  for (const ir::Dim& dim : *source.type.shape) dims.push_back(dim.value >= 0 ? dim.value : kUnknown);
  return dims;
}

Expected<Splitting> matchSlices(const std::vector<ConstantConv>& branches, int64_t opset) {
  int64_t width = branches[0].inChannels(), total = width * static_cast<int64_t>(branches.size());
  Splitting s;
  for (size_t b = 0; b < branches.size(); ++b) {
    ir::Value* part = branches[b].node->input(0);
    ir::Node* slice = part->producer();
    if (!slice || slice->opType != "Slice" || !slice->domain.empty() || !hasSingleUse(part))
      return Status::refuse(fmt::format("branch {} does not read a single-use Slice", b));
    if (b > 0 && slice->input(0) != s.source) return Status::refuse(fmt::format("branch {} slices another tensor", b));
    s.source = slice->input(0);
    const ir::ValueType& type = s.source->type;
    if (!type.shape || type.shape->size() < 2 || (*type.shape)[1].value != total)
      return Status::refuse(fmt::format("source channel count is not known to be {}", total));
    runtime::reference::SliceParameters parameters;
    std::vector<runtime::reference::SliceAxis> axes;
    std::vector<int64_t> dims = sliceDims(*s.source);
    Status status = runtime::reference::readSliceParameters(
        *slice, [](const ir::Value* v) { return constantTensor(v); }, opset, parameters);
    if (status) status = parameters.resolve(dims, axes);
    if (!status) return Status::refuse(fmt::format("branch {} Slice: {}", b, status.reason()));
    for (size_t axis = 0; axis < axes.size(); ++axis)
      if (axis != 1 && !axes[axis].whole(dims[axis]))
        return Status::refuse(fmt::format("branch {} Slice also slices axis {}", b, axis));
    int64_t begin = static_cast<int64_t>(b) * width;
    if (axes[1].start != begin || axes[1].count != width || axes[1].step != 1)
      return Status::refuse(fmt::format("branch {} Slice is not channels [{}, {})", b, begin, begin + width));
    s.splitters.push_back(slice);
  }
  return s;
}

// The grouped conv's geometry and the estimate for before (branches, split and
// concat copies) and after.
struct Estimate {
  std::vector<ConvGeometry> branches;
  ConvGeometry grouped;
  double copySeconds = 0;
};

Estimate estimateRewrite(const Match& m, const PassOptions& options) {
  Estimate e;
  for (const ConstantConv& c : m.branches) e.branches.push_back(geometryOf(c, options));
  const ConstantConv& first = m.branches[0];
  int64_t n = static_cast<int64_t>(m.branches.size());
  const ConvGeometry& g = e.branches[0];
  e.grouped = withStructure(g, first.inChannels() * n, first.outChannels * n, first.group * n, first.kernelElements,
                            first.bias != nullptr);
  e.copySeconds = options.cost().splitConcatSeconds(g.batch * g.inPixels * g.inChannels * n * g.elementBytes) +
                  options.cost().splitConcatSeconds(g.batch * g.outPixels * g.outChannels * n * g.elementBytes);
  return e;
}

Expected<Match> matchSplitConcat(ir::Node& concat, const PassOptions& options, int64_t opset) {
  Expected<std::vector<ConstantConv>> branches = matchBranches(concat);
  if (!branches) return branches.status();
  ir::Node* split = (*branches)[0].node->input(0)->producer();
  Expected<Splitting> splitting = split && split->opType == "Split" && split->domain.empty()
                                      ? matchSplit(*split, *branches)
                                      : matchSlices(*branches, opset);
  if (!splitting) return splitting.status();
  Match m{std::move(*branches), std::move(*splitting)};
  Estimate e = estimateRewrite(m, options);
  double before = figuresOf(options.cost(), e.branches, e.copySeconds).seconds,
         after = options.cost().convSeconds(e.grouped);
  if (!options.force && !rewritePays(before, after, options.minGain))
    return Status::refuse(fmt::format("cost model: {:.3g} us -> {:.3g} us does not gain {:.0f}%", before * 1e6,
                                      after * 1e6, options.minGain * 100));
  return m;
}

std::vector<float> concatenated(const std::vector<ConstantConv>& branches, bool bias) {
  std::vector<float> all;
  for (const ConstantConv& c : branches) {
    std::span<const float> d = (bias ? c.bias : c.weight)->data<float>();
    all.insert(all.end(), d.begin(), d.end());
  }
  return all;
}

void rewrite(ir::Graph& graph, ir::Node& concat, const Match& m, PassContext& context) {
  const ConstantConv& first = m.branches[0];
  int64_t n = static_cast<int64_t>(m.branches.size());
  std::string base = concat.name.empty() ? concat.output(0)->name() : concat.name;
  std::vector<int64_t> dims = first.weight->dims();
  dims[0] *= n;
  ir::Value* weight = addFloatInitializer(graph, base + "_W_grouped", dims, concatenated(m.branches, false));
  ir::Value* bias =
      first.bias ? addFloatInitializer(graph, base + "_B_grouped", {dims[0]}, concatenated(m.branches, true)) : nullptr;
  Estimate estimate = estimateRewrite(m, context.options);
  // The Concat becomes the grouped Conv, so its output keeps its name.
  concat.opType = "Conv";
  concat.attributes = first.node->attributes;
  concat.setAttribute(ir::Attribute::makeInt("group", first.group * n));
  concat.removeTrailingInputs(0);
  concat.addInput(m.splitting.source);
  concat.addInput(weight);
  if (bias) concat.addInput(bias);
  for (const ConstantConv& c : m.branches) graph.eraseNode(c.node);
  for (ir::Node* s : m.splitting.splitters) graph.eraseNode(s);
  RewriteRecord record{concat.label(),
                       fmt::format("Split -> {} Convs -> Concat", n),
                       figuresOf(context.options.cost(), estimate.branches, estimate.copySeconds),
                       figuresOf(context.options.cost(), {estimate.grouped}),
                       0.0,
                       context.scope};
  noteRewrite(concat, "splitconcat-to-grouped", structuralNote(record, context.options));
  context.recordRewrite(std::move(record));
}

class SplitConcatToGroupedPass final : public Pass {
 public:
  std::string_view name() const override { return "splitconcat-to-grouped"; }

  void run(ir::Graph& graph, PassContext& context) override {
    rewriteCandidates(
        graph, context, isDefaultOp("Concat"),
        [&](ir::Node& concat) { return matchSplitConcat(concat, context.options, context.model.defaultOpset()); },
        [&](ir::Node& concat, const Match& m) { rewrite(graph, concat, m, context); });
  }
};

}  // namespace

std::unique_ptr<Pass> createSplitConcatToGroupedPass() { return std::make_unique<SplitConcatToGroupedPass>(); }

}  // namespace convopt::passes
