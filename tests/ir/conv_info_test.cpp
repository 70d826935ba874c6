// Conv classification, parameter and MAC arithmetic, and the inspect summary.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "ir/conv_info.h"
#include "ir/model_summary.h"
#include "ir/onnx_io.h"
#include "ir/shape_inference.h"
#include "tests/support/ir_shared_models.h"

namespace convopt::ir {
namespace {

ConvInfo analyzeOnlyConv(const std::string& text) {
  Model model = parseModelText(text);
  inferShapes(model);
  for (const Node* n : model.graph->nodes())
    if (n->opType == "Conv") return analyzeConv(*n);
  throw std::logic_error("no Conv");
}

// The issue's example: 8 -> 6 channels, 1x1 kernel, 4x4 input.
TEST(ConvInfo, GroupedPointwiseArithmetic) {
  ConvInfo grouped = analyzeOnlyConv(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,8,4,4] x, float[6,4,1,1] w, float[6] b) => (float[1,6,4,4] y)
{
  y = Conv <group = 2> (x, w, b)
}
)");
  EXPECT_EQ(grouped.kind, ConvKind::Grouped);
  EXPECT_EQ(grouped.inChannels, 8);
  EXPECT_EQ(grouped.outChannels, 6);
  EXPECT_EQ(grouped.weightParams, 24);
  EXPECT_EQ(grouped.biasParams, 6);
  EXPECT_EQ(grouped.outputSpatial, (std::vector<int64_t>{4, 4}));
  EXPECT_EQ(grouped.macs, 384);

  ConvInfo dense = analyzeOnlyConv(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,8,4,4] x, float[6,8,1,1] w, float[6] b) => (float[1,6,4,4] y)
{
  y = Conv (x, w, b)
}
)");
  EXPECT_EQ(dense.kind, ConvKind::Pointwise);
  EXPECT_EQ(dense.weightParams, 48);
  EXPECT_EQ(dense.biasParams, 6);
  EXPECT_EQ(dense.macs, 768);
}

TEST(ConvInfo, KindsFollowGroupAndKernel) {
  EXPECT_EQ(classifyConv(8, 1, {3, 3}), ConvKind::Dense);
  EXPECT_EQ(classifyConv(8, 1, {1, 1}), ConvKind::Pointwise);
  EXPECT_EQ(classifyConv(8, 2, {3, 3}), ConvKind::Grouped);
  EXPECT_EQ(classifyConv(8, 2, {1, 1}), ConvKind::Grouped);
  EXPECT_EQ(classifyConv(8, 8, {3, 3}), ConvKind::Depthwise);
  EXPECT_EQ(classifyConv(1, 1, {3, 3}), ConvKind::Dense);
}

TEST(ConvInfo, StridedDepthwiseWithBatchAndUnknownDims) {
  ConvInfo dw = analyzeOnlyConv(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2,4,9,9] x, float[8,1,3,3] w) => (float[2,8,5,5] y)
{
  y = Conv <group = 4, strides = [2, 2], pads = [1, 1, 1, 1]> (x, w)
}
)");
  EXPECT_EQ(dw.kind, ConvKind::Depthwise);
  EXPECT_EQ(dw.macs, 2 * 8 * 5 * 5 * 1 * 3 * 3);
  EXPECT_EQ(dw.pads, (std::vector<int64_t>{1, 1, 1, 1}));

  ConvInfo dynamic = analyzeOnlyConv(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[N,4,H,W] x, float[8,4,3,3] w) => (float[N,8,H,W] y)
{
  y = Conv (x, w)
}
)");
  EXPECT_EQ(dynamic.kind, ConvKind::Dense);
  EXPECT_EQ(dynamic.macs, std::nullopt);
}

TEST(ModelSummary, JsonHasTheIssuesFields) {
  Model model = parseModelText(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,8,4,4] x) => (float[1,6,4,4] y)
<float[6,4,1,1] w = {1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24}, float[6] b = {0,0,0,0,0,0}>
{
  y = Conv <group = 2> (x, w, b)
}
)");
  inferShapes(model);
  nlohmann::json j = summaryToJson(summarizeModel(model));
  EXPECT_EQ(j["convs"][0],
            nlohmann::json::parse(R"J({"name": "Conv(y)", "scope": "", "kind": "grouped", "in_channels": 8,
    "out_channels": 6, "group": 2, "kernel_shape": [1, 1], "strides": [1, 1], "dilations": [1, 1],
    "pads": [0, 0, 0, 0], "output_shape": [4, 4], "weight_params": 24, "bias_params": 6, "macs": 384})J"));
  EXPECT_EQ(j["totals"], nlohmann::json::parse(R"({"params": 30, "macs": 384,
    "dense": 0, "pointwise": 0, "grouped": 1, "depthwise": 0})"));
  EXPECT_EQ(j["inputs"][0], nlohmann::json::parse(R"({"name": "x", "dtype": "float", "shape": [1, 8, 4, 4]})"));
  EXPECT_EQ(j["op_histogram"], nlohmann::json::parse(R"({"Conv": 1})"));
}

// Convs inside If branches are counted and listed with the scope they are in.
TEST(ModelSummary, ConvsInsideSubgraphsCarryTheirScope) {
  Model model = parseModelText(R"(<ir_version: 8, opset_import: ["" : 13]>
g (bool[1] c, float[1,2,3,3] x) => (float[1,2,3,3] y)
<float[2,2,1,1] w = {1, 2, 3, 4}>
{
  y = If (c) <then_branch = then_body () => (float[1,2,3,3] t) { t = Conv (x, w) },
              else_branch = else_body () => (float[1,2,3,3] e) <float[2,1,1,1] d = {5, 6}> { e = Conv <group = 2> (x, d) }>
}
)");
  inferShapes(model);
  ModelSummary summary = summarizeModel(model);
  nlohmann::json j = summaryToJson(summary);
  EXPECT_EQ(j["convs"][0]["scope"], "If(y)/then_branch");
  EXPECT_EQ(j["convs"][1]["scope"], "If(y)/else_branch");
  EXPECT_EQ(j["totals"], nlohmann::json::parse(R"({"params": 6, "macs": 0,
    "dense": 0, "pointwise": 1, "grouped": 0, "depthwise": 1})"));
  std::string text = summaryToText(summary);
  EXPECT_NE(text.find("name     scope              kind       C_in"), std::string::npos) << text;
  EXPECT_NE(text.find("Conv(e)  If(y)/else_branch  depthwise     2"), std::string::npos) << text;
}

// The census per kind equals the manifest's "convs before" for every shared
// model, and at the input shape of its golden data every MAC is known.
TEST(ModelSummary, ConvCountsMatchTheManifest) {
  for (const auto& shared : testing::sharedModels()) {
    SCOPED_TRACE(shared.name);
    Model model = testing::loadSharedModelWithInputShape(shared);
    inferShapes(model);
    nlohmann::json totals = summaryToJson(summarizeModel(model))["totals"];
    auto census = [&](const char* key) { return shared.convsBefore.count(key) ? shared.convsBefore.at(key) : 0; };
    EXPECT_EQ(totals["pointwise"], census("dense1x1"));
    EXPECT_EQ(totals["dense"], census("densekxk"));
    EXPECT_EQ(totals["grouped"], census("grouped"));
    EXPECT_EQ(totals["depthwise"], census("depthwise"));
    EXPECT_TRUE(totals["macs"].is_number()) << "MACs unknown at the manifest's input shape";
  }
}

}  // namespace
}  // namespace convopt::ir
