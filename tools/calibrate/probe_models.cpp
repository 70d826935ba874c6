#include "tools/calibrate/probe_models.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "ir/graph_building.h"

namespace convopt::tools::calibrate {
namespace {

constexpr double kTargetMacs = 5e7;  // a conv probe's size: a few ms of chain per run

Probe convProbe(const std::string& family, int64_t channels, int64_t group, int64_t kernel) {
  Probe p{fmt::format("{}{}x{}_c{}_g{}", family, kernel, kernel, channels, group),
          ProbeOp::Conv,
          channels,
          group,
          kernel,
          0};
  double perPixel = double(channels) * double(channels / group) * double(kernel * kernel);
  // At least twice its small twin's side, so the two sizes tell rate from overhead.
  p.side = std::clamp<int64_t>(int64_t(std::lround(std::sqrt(kTargetMacs / perPixel))), 2 * kSmallSide, 56);
  return p;
}

// Builds chains on one graph: x [1, C, side, side] -> ... -> y.
class ChainBuilder {
 public:
  explicit ChainBuilder(const Probe& probe) : probe_(probe), rng_(1) {
    model_.opsets = {{"", 13}};
    model_.irVersion = 8;
    model_.producerName = "convopt calibrate";
    current_ = model_.graph->addInput(
        "x", ir::ValueType::tensor(ir::DType::Float, {1, probe.channels, probe.side, probe.side}));
  }

  void conv(int64_t in, int64_t out, int64_t group, int64_t kernel) {
    ir::Value* w = constant({out, in / group, kernel, kernel}, 0.5f / std::sqrt(float(in / group * kernel * kernel)));
    ir::Value* b = constant({out}, 0.1f);
    current_ = ir::addSquareConv(*model_.graph, current_, w, b, model_.graph->uniqueName("t"), group)->output(0);
  }

  // A depthwise 3x3 conv: every runtime keeps it in its native layout, and it
  // is cheap beside the probed ops, so it adds little noise to their difference.
  void anchor() { conv(probe_.channels, probe_.channels, probe_.channels, 3); }

  // A channel shuffle: output channel i reads (i % 2) * C/2 + i / 2.
  void gather() {
    int64_t c = probe_.channels;
    std::vector<int64_t> order(size_t(c), 0);
    for (int64_t i = 0; i < c; ++i) order[size_t(i)] = (i % 2) * (c / 2) + i / 2;
    ir::Tensor indices = ir::Tensor::fromVector(ir::DType::Int64, {c}, order);
    indices.name = model_.graph->uniqueName("order");
    append("Gather", {current_, model_.graph->addInitializer(std::move(indices))})
        ->setAttribute(ir::Attribute::makeInt("axis", 1));
  }

  // Split in halves, a Relu on each (so neither is a plain view), Concat.
  void splitConcat() {
    ir::Graph& g = *model_.graph;
    ir::Node* split = g.createNode("Split", {current_}, {g.uniqueName("a"), g.uniqueName("b")});
    split->setAttribute(ir::Attribute::makeInt("axis", 1));
    std::vector<ir::Value*> halves;
    for (ir::Value* half : split->outputs())
      halves.push_back(g.createNode("Relu", {half}, {g.uniqueName("r")})->output(0));
    ir::Node* concat = g.createNode("Concat", halves, {g.uniqueName("t")});
    concat->setAttribute(ir::Attribute::makeInt("axis", 1));
    current_ = concat->output(0);
  }

  ir::Model finish() {
    model_.graph->renameValue(current_, "y");
    model_.graph->markOutput(current_);
    return std::move(model_);
  }

 private:
  ir::Value* constant(std::vector<int64_t> dims, float scale) {
    int64_t n = 1;
    for (int64_t d : dims) n *= d;
    std::uniform_real_distribution<float> uniform(-scale, scale);
    std::vector<float> values(size_t(n), 0.f);
    for (float& v : values) v = uniform(rng_);
    return ir::addFloatInitializer(*model_.graph, model_.graph->uniqueName("w"), std::move(dims), values);
  }

  ir::Node* append(const std::string& op, const std::vector<ir::Value*>& inputs) {
    ir::Node* node = model_.graph->createNode(op, inputs, {model_.graph->uniqueName("t")});
    current_ = node->output(0);
    return node;
  }

  const Probe& probe_;
  std::mt19937 rng_;
  ir::Model model_;
  ir::Value* current_ = nullptr;
};

ir::Model chain(const Probe& probe, bool withOps) {
  ChainBuilder builder(probe);
  builder.anchor();
  for (int i = 0; i < kProbeRepeats; ++i) {
    if (withOps) {
      int64_t c = probe.channels, wide = c * probe.multiplier;
      if (probe.op == ProbeOp::Conv) builder.conv(c, wide, probe.group, probe.kernel);
      if (probe.op == ProbeOp::Conv && wide != c) builder.conv(wide, c, 1, 1);
      if (probe.op == ProbeOp::Gather) builder.gather();
      if (probe.op == ProbeOp::SplitConcat) builder.splitConcat();
    }
    builder.anchor();
  }
  return builder.finish();
}

}  // namespace

passes::ConvGeometry Probe::geometry() const {
  passes::ConvGeometry g;
  g.inChannels = channels;
  g.outChannels = channels * multiplier;
  g.group = group;
  g.kernelElements = kernel * kernel;
  g.inPixels = g.outPixels = side * side;
  g.hasBias = true;
  return g;
}

passes::ConvGeometry Probe::pointwiseGeometry() const {
  passes::ConvGeometry g = geometry();
  g.inChannels = channels * multiplier;
  g.outChannels = channels;
  g.group = 1;
  g.kernelElements = 1;
  return g;
}

int64_t Probe::tensorBytes() const { return 4 * channels * side * side; }

const std::vector<Probe>& probeTable() {
  static const std::vector<Probe> table = [] {
    std::vector<Probe> t;
    for (int64_t c : {4, 8, 16, 32, 64, 128, 256}) t.push_back(convProbe("dense", c, 1, 3));
    for (int64_t c : {4, 8, 16, 32, 64, 128, 256, 512}) t.push_back(convProbe("pointwise", c, 1, 1));
    for (int64_t perGroup : {2, 4, 8, 16, 32}) t.push_back(convProbe("grouped", 128, 128 / perGroup, 3));
    for (int64_t perGroup : {2, 4, 8, 16, 32, 64}) t.push_back(convProbe("grouped", 256, 256 / perGroup, 1));
    for (int64_t k : {3, 5, 7}) {
      Probe p = convProbe("depthwise", 128, 128, k);
      p.side = 56;
      t.push_back(p);
    }
    for (int64_t multiplier : {2, 4}) t.push_back(depthwiseMultiplierProbe(64, multiplier));
    for (size_t i = 0, n = t.size(); i < n; ++i)
      if (t[i].multiplier == 1) t.push_back(smallTwin(t[i]));
    t.push_back({"tiny", ProbeOp::Conv, 8, 1, 1, 4});
    t.push_back({"gather_c128", ProbeOp::Gather, 128, 1, 1, 28});
    t.push_back({"split_concat_c128", ProbeOp::SplitConcat, 128, 1, 1, 28});
    return t;
  }();
  return table;
}

Probe smallTwin(const Probe& probe) {
  Probe twin = probe;
  twin.name += fmt::format("_side{}", kSmallSide);
  twin.side = kSmallSide;
  return twin;
}

Probe depthwiseMultiplierProbe(int64_t channels, int64_t multiplier) {
  Probe p = convProbe("depthwise", channels, channels, 3);
  p.name += fmt::format("_x{}", multiplier);
  p.side = 56;
  p.multiplier = multiplier;
  return p;
}

std::pair<ir::Model, ir::Model> probeModels(const Probe& probe) { return {chain(probe, false), chain(probe, true)}; }

}  // namespace convopt::tools::calibrate
