#include "passes/conv_utils.h"

#include "ir/int_math.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace convopt::passes {

const ir::Tensor* constantTensor(const ir::Value* value) {
  value = value ? value->definition() : nullptr;  // a body's outer-scope constants are constants there
  if (!value || !value->isConstant()) return nullptr;
  return value->initializer();
}

bool hasSingleUse(const ir::Value* value) {
  return value->uses().size() == 1 && !value->isGraphOutput() && value->uses()[0].inputIndex != ir::Use::kImplicit;
}

Expected<ConstantConv> matchConstantConv(ir::Node& node) {
  if (node.opType != "Conv" || !node.domain.empty()) return Status::refuse("not a Conv");
  // Both possible at an opset whose schemas libonnx does not know.
  if (!node.input(0)) return Status::refuse("no data input");
  if (node.outputs().empty() || !node.output(0)) return Status::refuse("no output");
  const ir::Tensor* weight = constantTensor(node.input(1));
  if (!weight) return Status::refuse("weight is not a constant");
  if (weight->dtype() != ir::DType::Float) return Status::refuse("weight is not float32");
  if (weight->rank() < 3) return Status::refuse("weight rank below 3");
  if (weight->numel() == 0) return Status::refuse("weight has no elements");
  const ir::Tensor* bias = nullptr;
  if (node.input(2)) {
    bias = constantTensor(node.input(2));
    if (!bias) return Status::refuse("bias is not a constant");
    if (bias->dtype() != ir::DType::Float) return Status::refuse("bias is not float32");
    if (bias->numel() != weight->dims()[0]) return Status::refuse("bias does not hold one value per output channel");
  }
  ConstantConv conv;
  conv.node = &node;
  conv.weight = weight;
  conv.bias = bias;
  conv.outChannels = weight->dims()[0];
  conv.inPerGroup = weight->dims()[1];
  conv.group = node.getInt("group", 1);
  conv.kernelElements = 1;
  for (size_t d = 2; d < weight->dims().size(); ++d) conv.kernelElements *= weight->dims()[d];
  if (conv.group < 1 || conv.outChannels % conv.group != 0)
    return Status::refuse("group does not divide the output channels");
  return conv;
}

std::vector<int64_t> costingDims(const ir::Value* value, const PassOptions& options) {
  if (value->type.hasStaticShape()) return value->type.staticShape();
  auto it = options.costingShapes.find(value->name());
  return it == options.costingShapes.end() ? std::vector<int64_t>{} : it->second;
}

namespace {
int64_t spatialPixels(const std::vector<int64_t>& dims) {
  int64_t pixels = 1;
  for (size_t d = 2; d < dims.size(); ++d) pixels *= dims[d];
  return pixels;
}
}  // namespace

ConvGeometry geometryOf(const ConstantConv& conv, const PassOptions& options) {
  ConvGeometry g;
  std::vector<int64_t> in = costingDims(conv.node->input(0), options);
  if (!in.empty()) g.batch = in[0];
  g.inChannels = conv.inChannels();
  g.outChannels = conv.outChannels;
  g.group = conv.group;
  g.kernelElements = conv.kernelElements;
  g.inPixels = spatialPixels(in);
  g.outPixels = spatialPixels(costingDims(conv.node->output(0), options));
  g.hasBias = conv.bias != nullptr;
  return g;
}

ConvGeometry withStructure(ConvGeometry g, int64_t inChannels, int64_t outChannels, int64_t group,
                           int64_t kernelElements, bool hasBias) {
  g.inChannels = inChannels;
  g.outChannels = outChannels;
  g.group = group;
  g.kernelElements = kernelElements;
  g.hasBias = hasBias;
  return g;
}

double convsSeconds(const CostModel& cost, const std::vector<ConvGeometry>& convs) {
  double seconds = 0;
  for (const ConvGeometry& g : convs) seconds += cost.convSeconds(g);
  return seconds;
}

ConvFigures figuresOf(const CostModel& cost, const std::vector<ConvGeometry>& convs, double extraSeconds) {
  ConvFigures f;
  std::vector<std::string> kinds;
  for (const ConvGeometry& g : convs) {
    kinds.emplace_back(ir::convKindName(g.kind()));
    f.params = saturatingSum(f.params, g.params());
    f.macs = saturatingSum(f.macs, g.macs());
  }
  bool allSame = std::all_of(kinds.begin(), kinds.end(), [&](const std::string& k) { return k == kinds[0]; });
  f.kind = allSame && kinds.size() > 1 ? fmt::format("{}x {}", kinds.size(), kinds[0])
                                       : fmt::format("{}", fmt::join(kinds, "+"));
  f.seconds = convsSeconds(cost, convs) + extraSeconds;
  return f;
}

int64_t numericalRank(const Eigen::VectorXd& singularValues, double tolerance) {
  int64_t rank = 0;
  while (rank < singularValues.size() && singularValues(rank) > tolerance * singularValues(0)) ++rank;
  return rank;
}

double relativeMaxError(const std::vector<double>& original, const std::vector<double>& rebuilt) {
  double scale = 0, error = 0;
  for (size_t i = 0; i < original.size(); ++i) {
    scale = std::max(scale, std::abs(original[i]));
    error = std::max(error, std::abs(original[i] - rebuilt[i]));
  }
  return scale == 0 ? error : error / scale;
}

ir::Value* addFloatInitializer(ir::Graph& graph, const std::string& base, std::vector<int64_t> dims,
                               const std::vector<float>& values) {
  ir::Tensor t = ir::Tensor::fromVector(ir::DType::Float, std::move(dims), values);
  t.name = graph.uniqueName(base);
  return graph.addInitializer(std::move(t));
}

void noteRewrite(ir::Node& node, std::string_view passName, const std::string& what) {
  if (!node.docString.empty()) node.docString += "\n";
  node.docString += fmt::format("convopt {}: {}", passName, what);
}

}  // namespace convopt::passes

namespace convopt::passes {

std::string structuralNote(const RewriteRecord& record, const PassOptions& options) {
  bool pays = rewritePays(record.before.seconds, record.after.seconds, options.minGain);
  return fmt::format("was {} ({} params); {}; reconstruction error {:.2g}; estimated {:.3g} us -> {:.3g} us{}",
                     record.before.kind, record.before.params, record.description, record.reconstructionError,
                     record.before.seconds * 1e6, record.after.seconds * 1e6, pays ? "" : " (applied by --force)");
}

}  // namespace convopt::passes
