// The reference interpreter on the semantics that are easy to get wrong,
// each a small ONNX-text model with hand-computed expected values.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cmath>

#include "ir/error.h"
#include "ir/onnx_io.h"
#include "runtime/reference/interpreter.h"

namespace convopt::runtime {
namespace {

using testing::ElementsAre;

ir::Tensor floats(std::vector<int64_t> dims, std::vector<float> values) {
  return ir::Tensor::fromVector(ir::DType::Float, std::move(dims), values);
}

std::vector<float> valuesOf(const ir::Tensor& t) { return t.toFloatVector(); }

// Runs a model given as ONNX text (opset taken from the model) on `inputs`.
TensorMap run(const std::string& text, const TensorMap& inputs) {
  ir::Model model = ir::parseModelText(text);
  return runReference(model, inputs);
}

TEST(ReferenceConv, AsymmetricPadsPadTopAndRightOnly) {
  // pads = [top, left, bottom, right] = [1, 0, 0, 1]; 2x2 box filter.
  TensorMap out = run(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,1,3,3] x) => (float[1,1,3,3] y)
<float[1,1,2,2] w = {1, 1, 1, 1}>
{ y = Conv <pads = [1, 0, 0, 1]> (x, w) })",
                      {{"x", floats({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9})}});
  EXPECT_THAT(out["y"].dims(), ElementsAre(1, 1, 3, 3));
  EXPECT_THAT(valuesOf(out["y"]), ElementsAre(3, 5, 3, 12, 16, 9, 24, 28, 15));
}

// Stride 2, kernel 3 over 4 elements: output 2, total padding 1. SAME_UPPER
// pads at the end, SAME_LOWER at the beginning.
std::string sameConv(const char* autoPad) {
  return fmt::format(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,1,4] x) => (float[1,1,2] y)
<float[1,1,3] w = {{1, 10, 100}}>
{{ y = Conv <auto_pad = "{}", strides = [2]> (x, w) }})",
                     autoPad);
}

TEST(ReferenceConv, SameUpperPadsAtTheEnd) {
  TensorMap out = run(sameConv("SAME_UPPER"), {{"x", floats({1, 1, 4}, {1, 2, 3, 4})}});
  EXPECT_THAT(valuesOf(out["y"]), ElementsAre(321, 43));  // [1 2 3 4 0]
}

TEST(ReferenceConv, SameLowerPadsAtTheBeginning) {
  TensorMap out = run(sameConv("SAME_LOWER"), {{"x", floats({1, 1, 4}, {1, 2, 3, 4})}});
  EXPECT_THAT(valuesOf(out["y"]), ElementsAre(210, 432));  // [0 1 2 3 4]
}

TEST(ReferenceConv, GroupConvWithDepthMultiplierTwo) {
  // group = 2 = input channels, 4 output channels: each input channel feeds two.
  TensorMap out = run(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,2,1,2] x) => (float[1,4,1,2] y)
<float[4,1,1,1] w = {1, 2, 3, 4}, float[4] b = {0, 0, 0, 1}>
{ y = Conv <group = 2> (x, w, b) })",
                      {{"x", floats({1, 2, 1, 2}, {1, 2, 3, 4})}});
  EXPECT_THAT(out["y"].dims(), ElementsAre(1, 4, 1, 2));
  EXPECT_THAT(valuesOf(out["y"]), ElementsAre(1, 2, 2, 4, 9, 12, 13, 17));
}

TEST(ReferenceConv, TransposeStrideTwoScattersKernel) {
  // Each input element stamps w at 2*i: [1 2] * [1 10 100] -> [1 10 102 20 200].
  TensorMap out = run(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,1,2] x) => (float[1,1,5] y)
<float[1,1,3] w = {1, 10, 100}>
{ y = ConvTranspose <strides = [2]> (x, w) })",
                      {{"x", floats({1, 1, 2}, {1, 2})}});
  EXPECT_THAT(valuesOf(out["y"]), ElementsAre(1, 10, 102, 20, 200));
}

std::string pool1x5(const char* op, int ceilMode) {
  return fmt::format(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,1,1,5] x) => (float[1,1,1,?] y)
{{ y = {} <kernel_shape = [1, 2], strides = [1, 2], ceil_mode = {}> (x) }})",
                     op, ceilMode);
}

TEST(ReferencePool, CeilModeKeepsThePartialLastWindow) {
  TensorMap in{{"x", floats({1, 1, 1, 5}, {1, 2, 3, 4, 5})}};
  EXPECT_THAT(valuesOf(run(pool1x5("MaxPool", 0), in)["y"]), ElementsAre(2, 4));
  EXPECT_THAT(valuesOf(run(pool1x5("MaxPool", 1), in)["y"]), ElementsAre(2, 4, 5));
  // The partial window averages only its one real element.
  EXPECT_THAT(valuesOf(run(pool1x5("AveragePool", 1), in)["y"]), ElementsAre(1.5, 3.5, 5));
}

TEST(ReferencePool, CeilModeDropsAWindowStartingInTheEndPadding) {
  // 4 elements + 1 end pad, kernel 2, stride 2: a third window would start at
  // index 4, inside the padding, so it is dropped.
  TensorMap out = run(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,1,1,4] x) => (float[1,1,1,?] y)
{ y = MaxPool <kernel_shape = [1, 2], strides = [1, 2], pads = [0, 0, 0, 1], ceil_mode = 1> (x) })",
                      {{"x", floats({1, 1, 1, 4}, {1, 2, 3, 4})}});
  EXPECT_THAT(valuesOf(out["y"]), ElementsAre(2, 4));
}

std::string averageWithLeftPad(int countIncludePad) {
  return fmt::format(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,1,1,2] x) => (float[1,1,1,2] y)
{{ y = AveragePool <kernel_shape = [1, 2], pads = [0, 1, 0, 0], count_include_pad = {}> (x) }})",
                     countIncludePad);
}

TEST(ReferencePool, AveragePoolCountIncludePad) {
  // Windows: [pad, 4] and [4, 8].
  TensorMap in{{"x", floats({1, 1, 1, 2}, {4, 8})}};
  EXPECT_THAT(valuesOf(run(averageWithLeftPad(0), in)["y"]), ElementsAre(4, 6));
  EXPECT_THAT(valuesOf(run(averageWithLeftPad(1), in)["y"]), ElementsAre(2, 6));
}

TEST(ReferenceBroadcast, RankOneAgainstRankFourAlignsOnTheLastAxis) {
  std::vector<float> x(12);
  for (int i = 0; i < 12; ++i) x[i] = float(i);
  TensorMap out = run(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,2,2,3] x, float[3] b) => (float[1,2,2,3] y)
{ y = Add (x, b) })",
                      {{"x", floats({1, 2, 2, 3}, x)}, {"b", floats({3}, {10, 20, 30})}});
  EXPECT_THAT(valuesOf(out["y"]), ElementsAre(10, 21, 32, 13, 24, 35, 16, 27, 38, 19, 30, 41));
}

TEST(ReferenceBroadcast, BothSidesStretch) {
  TensorMap out = run(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2,1,1,1] x, float[3] b) => (float[2,1,1,3] y)
{ y = Mul (x, b) })",
                      {{"x", floats({2, 1, 1, 1}, {1, 2})}, {"b", floats({3}, {1, 2, 3})}});
  EXPECT_THAT(out["y"].dims(), ElementsAre(2, 1, 1, 3));
  EXPECT_THAT(valuesOf(out["y"]), ElementsAre(1, 2, 3, 2, 4, 6));
}

TEST(ReferenceBroadcast, IncompatibleShapesNameTheNode) {
  EXPECT_THROW(run(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2,3] x, float[2] b) => (float[2,3] y)
{ y = Add (x, b) })",
                   {{"x", floats({2, 3}, {1, 2, 3, 4, 5, 6})}, {"b", floats({2}, {1, 2})}}),
               InputError);
}

TEST(ReferenceOpset, SoftmaxBefore13NormalizesTheFlattenedTrailingBlock) {
  // axis = 1 on [1, 2, 2]: opset 11 normalizes all 4 values together, opset 13 each pair along dim 1.
  const char* body = R"(
g (float[1,2,2] x) => (float[1,2,2] y)
{ y = Softmax <axis = 1> (x) })";
  TensorMap in{{"x", floats({1, 2, 2}, {0, 0, 0, 0})}};
  auto old = run(std::string(R"(<ir_version: 6, opset_import: ["" : 11]>)") + body, in);
  auto now = run(std::string(R"(<ir_version: 8, opset_import: ["" : 13]>)") + body, in);
  EXPECT_THAT(valuesOf(old["y"]), ElementsAre(0.25, 0.25, 0.25, 0.25));
  EXPECT_THAT(valuesOf(now["y"]), ElementsAre(0.5, 0.5, 0.5, 0.5));
}

// Before opset 9, BatchNormalization with spatial = 0 normalizes each activation
// with its own statistics: parameters of C x H x W values (onnxruntime runs it).
TEST(ReferenceOpset, BatchNormWithoutSpatialBefore9IsPerActivation) {
  auto out = run(R"(<ir_version: 3, opset_import: ["" : 7]>
g (float[2,1,1,2] x) => (float[2,1,1,2] y, float[2,1,1,2] z)
<float[1,1,2] s = {2, 3}, float[1,1,2] b = {1, -1}, float[1,1,2] m = {0.5, 1}, float[1,1,2] v = {4, 16},
 float[1] s1 = {2}, float[1] b1 = {1}, float[1] m1 = {0.5}, float[1] v1 = {4}>
{
  y = BatchNormalization <spatial = 0, epsilon = 0.0> (x, s, b, m, v)
  z = BatchNormalization <epsilon = 0.0> (x, s1, b1, m1, v1)
})",
                 {{"x", floats({2, 1, 1, 2}, {2.5, 5, 0.5, -3})}});
  // (x - m) * s / sqrt(v) + b per activation, the same for both samples; per channel with spatial = 1.
  EXPECT_THAT(valuesOf(out["y"]), ElementsAre(3, 2, 1, -4));
  EXPECT_THAT(valuesOf(out["z"]), ElementsAre(3, 5.5, 1, -2.5));
}

// GroupNormalization normalizes each group of channels over its channels and
// positions; its scale and bias are per group at opset 18 and per channel from
// 21 (which fixed 18's), as onnxruntime reads them.
TEST(ReferenceOpset, GroupNormScalesPerGroupAt18AndPerChannelFrom21) {
  const char* body = R"(
g (float[1,4,1,2] x, float[{0}] s, float[{0}] b) => (float[1,4,1,2] y)
{{ y = GroupNormalization <num_groups = 2, epsilon = 0.0> (x, s, b) }})";
  // Group 0 holds 1, 3, 5, 7 (mean 4, variance 5), group 1 holds 2, 2, 4, 8 (mean 4, variance 6).
  ir::Tensor x = floats({1, 4, 1, 2}, {1, 3, 5, 7, 2, 2, 4, 8});
  auto at18 = run(R"(<ir_version: 8, opset_import: ["" : 18]>)" + fmt::format(fmt::runtime(body), 2),
                  {{"x", x}, {"s", floats({2}, {2, 1})}, {"b", floats({2}, {1, 0})}});
  auto at21 = run(R"(<ir_version: 10, opset_import: ["" : 21]>)" + fmt::format(fmt::runtime(body), 4),
                  {{"x", x}, {"s", floats({4}, {1, 2, 1, -1})}, {"b", floats({4}, {0, 1, 0, 1})}});
  using ::testing::FloatNear, ::testing::Pointwise;
  EXPECT_THAT(valuesOf(at18["y"]),
              Pointwise(FloatNear(1e-6), std::vector<float>{-1.6832816f, 0.1055728f, 1.8944272f, 3.6832816f,
                                                            -0.8164966f, -0.8164966f, 0, 1.6329932f}));
  EXPECT_THAT(valuesOf(at21["y"]),
              Pointwise(FloatNear(1e-6), std::vector<float>{-1.3416408f, -0.4472136f, 1.8944272f, 3.6832816f,
                                                            -0.8164966f, -0.8164966f, 1, -0.6329932f}));
}

// Before opset 11 Clip's bounds are float attributes, by default -FLT_MAX and FLT_MAX: on an
// int64 input they saturate at int64's range (the pipeline fuzz target found the cast undefined).
TEST(ReferenceOpset, ClipBefore11SaturatesItsFloatBoundsOnIntegers) {
  auto out = run(R"(<ir_version: 4, opset_import: ["" : 9]>
g (int64[3] x) => (int64[3] y, int64[3] z)
{
  y = Clip (x)
  z = Clip <min = -2.5, max = 1e30> (x)
})",
                 {{"x", ir::Tensor::fromVector<int64_t>(ir::DType::Int64, {3}, {-7, 0, 9})}});
  EXPECT_EQ(out["y"].toInt64Vector(), (std::vector<int64_t>{-7, 0, 9}));
  EXPECT_EQ(out["z"].toInt64Vector(), (std::vector<int64_t>{-2, 0, 9}));
}

// Signed integer arithmetic wraps around (two's complement), and MIN / -1 and MIN % -1 give
// what wrapping gives instead of trapping (the pipeline fuzz target found an int64 Mul whose
// product overflowed: undefined behaviour, UBSan).
TEST(ReferenceIntegers, SignedArithmeticWrapsAround) {
  TensorMap out = run(R"(<ir_version: 8, opset_import: ["" : 13]>
g (int64[2] a, int64[2] b, int32[1] c, int32[1] d) => (int64[2] mul, int64[2] add, int64[2] div, int64[2] mod,
                                                     int32[1] sub, int64[2] sum)
{
  mul = Mul (a, b)
  add = Add (a, b)
  div = Div (a, b)
  mod = Mod (a, b)
  sub = Sub (c, d)
  sum = Sum (a, a, b)
})",
                      {{"a", ir::Tensor::fromVector<int64_t>(ir::DType::Int64, {2}, {INT64_MIN, int64_t{1} << 62})},
                       {"b", ir::Tensor::fromVector<int64_t>(ir::DType::Int64, {2}, {-1, 4})},
                       {"c", ir::Tensor::fromVector<int32_t>(ir::DType::Int32, {1}, {INT32_MIN})},
                       {"d", ir::Tensor::fromVector<int32_t>(ir::DType::Int32, {1}, {1})}});
  EXPECT_THAT(out["mul"].toInt64Vector(), ElementsAre(INT64_MIN, 0));
  EXPECT_THAT(out["add"].toInt64Vector(), ElementsAre(INT64_MAX, (int64_t{1} << 62) + 4));
  EXPECT_THAT(out["div"].toInt64Vector(), ElementsAre(INT64_MIN, int64_t{1} << 60));
  EXPECT_THAT(out["mod"].toInt64Vector(), ElementsAre(0, 0));
  EXPECT_THAT(out["sub"].toInt64Vector(), ElementsAre(INT32_MAX));
  EXPECT_THAT(out["sum"].toInt64Vector(), ElementsAre(-1, INT64_MIN + 4));  // MIN + MIN wraps to 0
}

// Floats that do not fit an integer type saturate and NaN becomes 0, in Cast and in an integer
// reduction over an empty axis (the pipeline fuzz target: ReduceMean of an empty uint8 tensor
// converted 0 / 0 = NaN into uint8, undefined behaviour, UBSan).
TEST(ReferenceIntegers, FloatsOutOfRangeSaturate) {
  TensorMap out =
      run(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[4] x, uint8[2,0] e) => (int8[4] c, uint8[2] m, int32[2] p)
{
  c = Cast <to = 3> (x)
  m = ReduceMax <axes = [1], keepdims = 0> (e)
  f = Cast <to = 6> (e)
  p = ReduceMin <axes = [1], keepdims = 0> (f)
})",
          {{"x", floats({4}, {300.f, -1e9f, std::nanf(""), -7.5f})}, {"e", ir::Tensor(ir::DType::Uint8, {2, 0})}});
  EXPECT_THAT(out["c"].toInt64Vector(), ElementsAre(127, -128, 0, -7));
  EXPECT_THAT(out["m"].toInt64Vector(), ElementsAre(0, 0));
  EXPECT_THAT(out["p"].toInt64Vector(), ElementsAre(INT32_MAX, INT32_MAX));
}

TEST(ReferenceOpset, SliceAttributesBefore10InputsAfter) {
  TensorMap in{{"x", floats({5}, {0, 1, 2, 3, 4})}};
  auto old = run(R"(<ir_version: 4, opset_import: ["" : 9]>
g (float[5] x) => (float[2] y)
{ y = Slice <starts = [1], ends = [3]> (x) })",
                 in);
  auto now = run(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[5] x) => (float[3] y)
<int64[1] s = {-1}, int64[1] e = {-10}, int64[1] a = {0}, int64[1] st = {-2}>
{ y = Slice (x, s, e, a, st) })",
                 in);
  EXPECT_THAT(valuesOf(old["y"]), ElementsAre(1, 2));
  EXPECT_THAT(valuesOf(now["y"]), ElementsAre(4, 2, 0));
}

TEST(ReferenceResize, NearestAsymmetricFloorUpsamples) {
  TensorMap out = run(R"(<ir_version: 7, opset_import: ["" : 11]>
g (float[1,1,1,2] x) => (float[1,1,2,4] y)
<float[0] roi = {}, float[4] scales = {1, 1, 2, 2}>
{ y = Resize <mode = "nearest", coordinate_transformation_mode = "asymmetric", nearest_mode = "floor"> (x, roi, scales) })",
                      {{"x", floats({1, 1, 1, 2}, {1, 2})}});
  EXPECT_THAT(out["y"].dims(), ElementsAre(1, 1, 2, 4));
  EXPECT_THAT(valuesOf(out["y"]), ElementsAre(1, 1, 2, 2, 1, 1, 2, 2));
}

// Source coordinates in float, as onnxruntime and ONNX's reference find them: 10 -> 6
// rows scale by 0.6f, and output row 3 maps to 3 / 0.6f, exactly 5 in float (4.9999998
// in double, whose floor took row 4); 20 -> 13 maps row 6 to 9.5, rounded down to 9.
TEST(ReferenceResize, NearestSourceRowsOnABoundaryAreOnnxruntimes) {
  std::vector<float> rows(20);
  for (size_t i = 0; i < rows.size(); ++i) rows[i] = float(i);
  TensorMap floor = run(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,1,10,1] x) => (float[1,1,6,1] y)
<float[0] roi = {}, float[0] scales = {}, int64[4] sizes = {1, 1, 6, 1}>
{ y = Resize <mode = "nearest", coordinate_transformation_mode = "asymmetric", nearest_mode = "floor"> (x, roi, scales, sizes) })",
                        {{"x", floats({1, 1, 10, 1}, std::vector<float>(rows.begin(), rows.begin() + 10))}});
  EXPECT_THAT(valuesOf(floor["y"]), ElementsAre(0, 1, 3, 5, 6, 8));
  TensorMap round = run(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,1,20,1] x) => (float[1,1,13,1] y)
<float[0] roi = {}, float[0] scales = {}, int64[4] sizes = {1, 1, 13, 1}>
{ y = Resize <mode = "nearest"> (x, roi, scales, sizes) })",
                        {{"x", floats({1, 1, 20, 1}, rows)}});
  EXPECT_THAT(valuesOf(round["y"]), ElementsAre(0, 2, 3, 5, 6, 8, 9, 11, 13, 14, 16, 17, 19));
}

// tf_crop_and_resize with scales: the output is input x scale, the roi's extent left
// out, as onnxruntime, ONNX's reference and shape inference have it.
TEST(ReferenceResize, CropAndResizeScalesGiveTheShapeInferenceGives) {
  TensorMap out = run(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,1,2,3] x) => (float[1,1,4,6] y)
<float[8] roi = {0, 0, 0.1, -0.2, 1, 1, 0.9, 1.3}, float[4] scales = {1, 1, 2, 2}>
{ y = Resize <mode = "nearest", coordinate_transformation_mode = "tf_crop_and_resize"> (x, roi, scales) })",
                      {{"x", floats({1, 1, 2, 3}, {1, 2, 3, 4, 5, 6})}});
  EXPECT_THAT(out["y"].dims(), ElementsAre(1, 1, 4, 6));
}

TEST(ReferenceOutputs, OmittedOptionalOutputsAreSkipped) {
  // MaxPool's Indices omitted in the middle, Dropout's mask omitted at the end.
  TensorMap out = run(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,1,1,2] x) => (float[1,1,1,1] y, float[1,1,1,2] z)
{
  y, = MaxPool <kernel_shape = [1, 2]> (x)
  z, = Dropout (x)
})",
                      {{"x", floats({1, 1, 1, 2}, {3, 7})}});
  EXPECT_THAT(valuesOf(out["y"]), ElementsAre(7));
  EXPECT_THAT(valuesOf(out["z"]), ElementsAre(3, 7));
}

TEST(ReferenceErrors, UnsupportedOpNamesOpAndNode) {
  try {
    run(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2] x) => (float[2] y)
{ y = Unique (x) })",
        {{"x", floats({2}, {1, 2})}});
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), testing::HasSubstr("Unique"));
    EXPECT_THAT(e.what(), testing::HasSubstr("not supported"));
  }
}

TEST(ReferenceErrors, MissingAndMistypedInputsAreNamed) {
  const char* model = R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2] x) => (float[2] y)
{ y = Relu (x) })";
  EXPECT_THROW(run(model, {}), InputError);
  EXPECT_THROW(run(model, {{"x", floats({3}, {1, 2, 3})}}), InputError);
  EXPECT_THROW(run(model, {{"x", ir::Tensor::fromVector<int64_t>(ir::DType::Int64, {2}, {1, 2})}}), InputError);
}

// An initializer listed as an input is an overridable default from IR 4 on,
// and a constant below IR 4 (where every initializer had to be an input).
std::string scaleModel(int irVersion) {
  return fmt::format(R"(<ir_version: {}, opset_import: ["" : 8]>
g (float[2] x, float[2] s) => (float[2] y)
<float[2] s = {{2, 3}}>
{{ y = Mul (x, s) }})",
                     irVersion);
}

TEST(ReferenceInitializerInputs, FromIr4AFedInputOverridesItsInitializer) {
  ir::Tensor x = floats({2}, {1, 1});
  EXPECT_THAT(valuesOf(run(scaleModel(4), {{"x", x}})["y"]), ElementsAre(2, 3));
  EXPECT_THAT(valuesOf(run(scaleModel(4), {{"x", x}, {"s", floats({2}, {5, 7})}})["y"]), ElementsAre(5, 7));
}

TEST(ReferenceInitializerInputs, BelowIr4TheInitializerIsAConstantThatCannotBeFed) {
  ir::Tensor x = floats({2}, {1, 1});
  EXPECT_THAT(valuesOf(run(scaleModel(3), {{"x", x}})["y"]), ElementsAre(2, 3));
  try {
    run(scaleModel(3), {{"x", x}, {"s", floats({2}, {5, 7})}});
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), testing::HasSubstr("'s' is a constant"));
  }
}

// The pipeline fuzz target: a reduction of a scalar over axis 0 indexed an empty axis mask (UBSan).
TEST(ReferenceReduce, AxisOfAScalarIsOutOfRange) {
  ir::Model model = ir::parseModelText(R"(<ir_version: 8, opset_import: ["" : 11]>
g (float x) => (float y)
{
  y = ReduceSum <axes = [0]> (x)
}
)");
  ir::Tensor x = ir::Tensor::fromVector<float>(ir::DType::Float, {}, {2.0f});
  EXPECT_THAT(
      [&] {
        runReference(*model.graph, {{"x", x}}, 11);
      },
      ::testing::ThrowsMessage<InputError>(::testing::HasSubstr("axis 0 is out of range for rank 0")));
}

// The pipeline fuzz target: copying the rows of an empty tensor passed memcpy the null
// buffer of an empty tensor (UBSan, even for 0 bytes). Each of these copies nothing.
TEST(ReferenceEmptyTensors, RowCopiesOfAnEmptyTensorAreEmpty) {
  ir::Model model = ir::parseModelText(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2,0,2] x, int64[3] i, bool[2] keep, int64[3,1] rows) => (float[3,0,2] gathered, float[1,0,2] kept,
                                                                 float[3,0,2] picked, float[2,0,2] joined)
{
  gathered = Gather (x, i)
  kept = Compress <axis = 0> (x, keep)
  picked = GatherND (x, rows)
  joined = Concat <axis = 1> (x, x)
}
)");
  TensorMap out = runReference(model, {{"x", ir::Tensor(ir::DType::Float, {2, 0, 2})},
                                       {"i", ir::Tensor::fromVector<int64_t>(ir::DType::Int64, {3}, {1, 0, 1})},
                                       {"keep", ir::Tensor::fromVector<uint8_t>(ir::DType::Bool, {2}, {0, 1})},
                                       {"rows", ir::Tensor::fromVector<int64_t>(ir::DType::Int64, {3, 1}, {1, 0, 1})}});
  EXPECT_EQ(out.at("gathered").dims(), (std::vector<int64_t>{3, 0, 2}));
  EXPECT_EQ(out.at("kept").dims(), (std::vector<int64_t>{1, 0, 2}));
  EXPECT_EQ(out.at("picked").dims(), (std::vector<int64_t>{3, 0, 2}));
  EXPECT_EQ(out.at("joined").dims(), (std::vector<int64_t>{2, 0, 2}));
}

}  // namespace
}  // namespace convopt::runtime
