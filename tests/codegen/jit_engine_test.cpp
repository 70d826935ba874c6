// The compiled engine against the reference interpreter on small models
// written as ONNX text: which nodes become kernels, which fuse, which fall
// back, and that the numbers agree.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>
#include <xmmintrin.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <thread>

#include "codegen/engine/jit_engine.h"
#include "ir/error.h"
#include "ir/onnx_io.h"
#include "runtime/random_inputs.h"
#include "runtime/reference/interpreter.h"
#include "runtime/thread_choice.h"
#include "tests/support/codegen_reference_check.h"
#include "tests/support/target_cpus.h"

namespace convopt::codegen {
namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)  // GCC
constexpr bool kSanitized = true;
#elif defined(__has_feature)  // clang
constexpr bool kSanitized = __has_feature(address_sanitizer) || __has_feature(thread_sanitizer);
#else
constexpr bool kSanitized = false;
#endif

using testing::expectSameAsReference;
using testing::has;

class Engine : public TargetTest<const char*> {};

TEST_P(Engine, ResidualBlockFusesIntoConvKernels) {
  std::string explain = expectSameAsReference(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,24,9,9] x, float[24, 1, 3, 3] wd, float[24] bd, float[24, 24, 1, 1] wp) => (float[1,24,9,9] z)
<float lo = {0.0}, float hi = {6.0}>
{
  d = Conv <group = 24, pads = [1,1,1,1]> (x, wd, bd)
  r = Clip (d, lo, hi)
  p = Conv (r, wp)
  s = Add (p, x)
  z = Relu (s)
}
)",
                                              GetParam());
  EXPECT_NE(explain.find("depthwise"), std::string::npos) << explain;
  EXPECT_NE(explain.find("Clip(r): Clip -> fused into"), std::string::npos) << explain;
  EXPECT_NE(explain.find("pointwise conv1x1_s1_d1_g1_c24x9x9_o24 tile"), std::string::npos) << explain;
  EXPECT_NE(explain.find("add+relu"), std::string::npos) << explain;
  EXPECT_NE(explain.find("0 fallback node(s)"), std::string::npos) << explain;
}

// A zero constant Pad before a Conv (tf2onnx's SAME padding) is the conv's own
// padding (fold-pad, run before lowering); a reflecting one stays a node.
TEST_P(Engine, AZeroPadBeforeAConvBecomesItsPadding) {
  std::string explain = expectSameAsReference(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,8,9,9] x, float[8,8,3,3] w, float[8,8,1,1] v) => (float[1,8,4,4] y, float[1,8,9,9] z, float[1,8,13,13] u)
<int64[8] pads = {0, 0, 0, 0, 0, 0, 1, 1}, int64[8] same = {0, 0, 1, 1, 0, 0, 1, 1}, int64[8] wide = {0, 0, 2, 2, 0, 0, 2, 2}>
{
  p = Pad (x, pads)
  y = Conv <strides = [2, 2]> (p, w)
  r = Pad <mode = "reflect"> (x, same)
  z = Conv (r, w)
  q = Pad (x, wide)
  u = Conv (q, v)
}
)",
                                              GetParam());
  // Folded pads may pass the kernel's extent (2 around a 1x1 conv): the border rows read no input.
  EXPECT_EQ(has(explain, "fold-pad                        2          2         1"), "");
  EXPECT_EQ(has(explain, "rejected Pad(r): mode is not constant"), "");
  EXPECT_EQ(has(explain, "Conv(y): Conv -> kernel"), "");
  EXPECT_EQ(has(explain, "1 fallback node(s)"), "");
}

TEST_P(Engine, GlobalMaxPoolIsAPoolOverTheWholeImage) {
  std::string explain = expectSameAsReference(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2,3,9,7] x, float[20,3,3,3] w) => (float[2,20,1,1] y)
{
  c = Conv (x, w)
  y = GlobalMaxPool (c)
}
)",
                                              GetParam());
  EXPECT_EQ(has(explain, "GlobalMaxPool(y): GlobalMaxPool -> kernel k1_pool"), "");
}

TEST_P(Engine, ImageStemReadsTheModelInputInPlace) {
  std::string explain = expectSameAsReference(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2,3,17,17] x, float[20, 3, 3, 3] w, float[20] b, float[12, 20, 1, 1] wp) => (float[2,12,9,9] z)
{
  c = Conv <pads = [1,1,1,1], strides = [2,2]> (x, w, b)
  r = Relu (c)
  z = Conv (r, wp)
}
)",
                                              GetParam());
  EXPECT_NE(explain.find("dense conv3x3_s2_d1_g1_c3x17x17_o20 tile"), std::string::npos) << explain;
  EXPECT_NE(explain.find("plain input + relu"), std::string::npos) << explain;
  EXPECT_EQ(explain.find("plain input"), explain.rfind("plain input")) << explain;  // the pointwise reads r blocked
}

// A NaN input stays NaN through the activations, fused into a conv or alone,
// and through Max / Min, as onnxruntime and the reference interpreter have it.
TEST_P(Engine, NaNPropagatesThroughActivationsAndMaxMin) {
  std::vector<float> identity(16 * 16, 0.0f);
  for (int c = 0; c < 16; ++c) identity[c * 16 + c] = 1;
  ir::Model model = ir::parseModelText(fmt::format(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,16,1,2] x) => (float[1,16,1,2] relu, float[1,16,1,2] clip, float[1,16,1,2] sig, float[1,16,1,2] hsig,
                          float[1,16,1,2] mx, float[1,16,1,2] mn)
<float[16,16,1,1] w = {{{}}}, float zero = {{0}}, float six = {{6}}>
{{
  c = Conv (x, w)
  relu = Relu (c)
  d = Conv (x, w)
  clip = Clip (d, zero, six)
  sig = Sigmoid (x)
  hsig = HardSigmoid (x)
  mx = Max (x, zero)
  mn = Min (zero, x)
}}
)",
                                                   fmt::join(identity, ", ")));
  std::vector<float> x(32, 1.0f);
  x[0] = std::nanf("");  // channel 0, pixel 0; the convs mix it into every channel of pixel 0
  runtime::TensorMap inputs = {{"x", ir::Tensor::fromVector<float>(ir::DType::Float, {1, 16, 1, 2}, x)}};
  JitEngine engine(model, shapesOf(inputs), {GetParam(), 1});
  runtime::TensorMap outputs = engine.run(inputs);
  for (const char* name : {"relu", "clip", "sig", "hsig", "mx", "mn"}) {
    std::vector<float> y = outputs.at(name).toFloatVector();
    EXPECT_TRUE(std::isnan(y[0])) << name << " " << y[0];
    EXPECT_FALSE(std::isnan(y[1])) << name;
  }
  EXPECT_THAT(engine.explain(), ::testing::HasSubstr("Relu(relu): Relu -> fused into"));
}

TEST_P(Engine, SqueezeExcitationAndSiLU) {
  std::string explain = expectSameAsReference(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,20,7,7] x, float[20, 20, 3, 3] w, float[20] b, float[8, 20, 1, 1] w1, float[8] b1, float[20, 8, 1, 1] w2, float[20] b2) => (float[1,20,7,7] z)
{
  c = Conv <pads = [1,1,1,1]> (x, w, b)
  sg = Sigmoid (c)
  a = Mul (c, sg)
  g = GlobalAveragePool (a)
  h = Conv (g, w1, b1)
  hs = Sigmoid (h)
  hm = Mul (h, hs)
  e = Conv (hm, w2, b2)
  es = Sigmoid (e)
  z = Mul (a, es)
}
)",
                                              GetParam());
  EXPECT_NE(explain.find("dense conv3x3_s1_d1_g1_c20x7x7_o20 tile"), std::string::npos) << explain;
  EXPECT_NE(explain.find("+ silu"), std::string::npos) << explain;
  EXPECT_NE(explain.find("avgpool7x7"), std::string::npos) << explain;
  EXPECT_NE(explain.find("0 fallback node(s)"), std::string::npos) << explain;
}

TEST_P(Engine, PoolsConcatSplitBatchNormAndBroadcasts) {
  std::string explain = expectSameAsReference(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2,6,11,11] x, float[6] s, float[6] bb, float[6] m, float[6] var, float[1] divisor, float[4, 6, 1, 1] w, float[16, 1, 1] cst) => (float[2,16,6,6] z, float[2,16,6,6] q)
<int64[2] splits = {3, 13}>
{
  n = BatchNormalization <epsilon = 0.001> (x, s, bb, m, var)
  mp = MaxPool <kernel_shape = [3,3], strides = [2,2], pads = [1,0,1,2]> (n)
  ap = AveragePool <kernel_shape = [3,3], strides = [2,2], pads = [1,1,1,1], count_include_pad = 1> (x)
  ap2 = AveragePool <kernel_shape = [3,3], strides = [2,2], pads = [0,1,2,1]> (x)
  aps = Add (ap, ap2)
  k = Conv <strides = [2,2]> (x, w)
  ct = Concat <axis = 1> (mp, k, aps)
  dv = Div (ct, divisor)
  hs = HardSigmoid <alpha = 0.3, beta = 0.4> (dv)
  z = Mul (hs, cst)
  a, b = Split <axis = 1> (z, splits)
  q = Concat <axis = 1> (b, a)
}
)",
                                              GetParam());
  EXPECT_NE(explain.find("0 fallback node(s)"), std::string::npos) << explain;
}

// With ceil_mode the last window of 3 + 1 + 1 padded rows at stride 2 would
// start in the end padding: it is dropped, as onnxruntime and the reference do
// (a helper's sweep: the JIT kept it, a row and column of -inf, or NaN for the average).
TEST_P(Engine, CeilModePoolsDropAWindowStartingInTheEndPadding) {
  std::string explain = expectSameAsReference(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,3,3,3] x) => (float[1,3,2,2] mp, float[1,3,2,2] ap)
{
  mp = MaxPool <kernel_shape = [2, 2], strides = [2, 2], pads = [1, 1, 1, 1], ceil_mode = 1> (x)
  ap = AveragePool <kernel_shape = [2, 2], strides = [2, 2], pads = [1, 1, 1, 1], ceil_mode = 1> (x)
}
)",
                                              GetParam());
  EXPECT_NE(explain.find("0 fallback node(s)"), std::string::npos) << explain;
}

// 1-D convolutions and pools (an audio front end) run as 2-D kernels of unit height.
TEST_P(Engine, OneDimensionalConvsAndPoolsRunAsUnitHeightKernels) {
  std::string explain = expectSameAsReference(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2,8,40] x, float[8, 1, 5] wd, float[8] bd, float[16, 8, 1] wp) => (float[2,16,12] y, float[2,16,1] z)
{
  d = Conv <group = 8, pads = [2, 2], dilations = [2]> (x, wd, bd)
  r = Relu (d)
  p = Conv (r, wp)
  y = MaxPool <kernel_shape = [3], strides = [3], pads = [1, 0]> (p)
  z = GlobalAveragePool (y)
}
)",
                                              GetParam());
  EXPECT_NE(explain.find("depthwise conv1x5_s1_d1x2_g8_c8x1x40_o8"), std::string::npos) << explain;
  EXPECT_NE(explain.find("pointwise conv1x1_s1_d1_g1_c8x1x36_o16"), std::string::npos) << explain;
  EXPECT_NE(explain.find("0 fallback node(s)"), std::string::npos) << explain;
}

// A 1-D ConvTranspose (a vocoder's upsampler) runs as a 2-D one of unit height, its
// output_padding and output_shape widened too.
TEST_P(Engine, OneDimensionalConvTransposesRunAsUnitHeightKernels) {
  std::string explain = expectSameAsReference(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,8,20] x, float[8, 4, 5] w, float[4] b, float[4, 6, 4] v) => (float[1,4,42] y, float[1,6,87] z)
{
  y = ConvTranspose <strides = [2], pads = [1, 1], output_padding = [1]> (x, w, b)
  t = Tanh (y)
  z = ConvTranspose <strides = [2], output_shape = [87]> (t, v)
}
)",
                                              GetParam());
  EXPECT_EQ(has(explain, "0 fallback node(s)"), "");
}

// If and Loop run as control flow around their bodies, each compiled as a program of its own
// (a depthwise conv in one branch, a pointwise conv in the other and in the Loop's body).
TEST_P(Engine, ControlFlowRunsItsBodiesCompiled) {
  auto weights = [](int count) {
    std::vector<std::string> values;
    for (int i = 0; i < count; ++i) values.push_back(fmt::format("{}", 0.1 * (i % 7 - 3)));
    return fmt::format("{}", fmt::join(values, ", "));
  };
  ir::Model model = ir::parseModelText(fmt::format(R"(<ir_version: 8, opset_import: ["" : 13]>
g (bool[1] c, float[1,8,6,6] x) => (float[1,8,6,6] z)
<float[8,1,3,3] wd = {{{}}}, float[8,8,1,1] wp = {{{}}}, int64 trips = {{3}}>
{{
  y = If (c) <then_branch = narrow () => (float[1,8,6,6] ty)
    {{
      tc = Conv <group = 8, pads = [1, 1, 1, 1]> (x, wd)
      ty = Relu (tc)
    }}, else_branch = wide () => (float[1,8,6,6] ey)
    {{
      ey = Conv (x, wp)
    }}>
  z = Loop (trips, , y) <body = step (int64 i, bool cond_in, float[1,8,6,6] v) => (bool cond_out, float[1,8,6,6] v_out)
    {{
      cond_out = Identity (cond_in)
      vc = Conv (v, wp)
      v_out = Relu (vc)
    }}>
}}
)",
                                                   weights(72), weights(64)));
  runtime::TensorMap inputs = runtime::randomInputs(*model.graph, {3, {}, {}});
  JitEngine engine(model, shapesOf(inputs), {GetParam(), 2});
  for (bool branch : {true, false}) {
    inputs["c"] = ir::Tensor::fromVector<uint8_t>(ir::DType::Bool, {1}, {branch});
    std::vector<float> expected = runtime::runReference(model, inputs).at("z").toFloatVector();
    std::vector<float> actual = engine.run(inputs).at("z").toFloatVector();
    ASSERT_EQ(actual.size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i) EXPECT_NEAR(actual[i], expected[i], 1e-4f) << branch << " " << i;
  }
  EXPECT_TRUE(engine.fallbackNodes().empty());
  std::string explain = engine.explain();
  EXPECT_NE(explain.find("If(y): If -> control flow around its bodies"), std::string::npos) << explain;
  EXPECT_NE(explain.find("body If(y)/then_branch, compiled for x=[1,8,6,6]:\n"), std::string::npos) << explain;
  EXPECT_NE(explain.find("    Conv(tc): Conv -> kernel"), std::string::npos) << explain;
  EXPECT_NE(explain.find("body If(y)/else_branch, compiled for x=[1,8,6,6]:\n"), std::string::npos) << explain;
  // Three trips at one shape: the Loop's body is compiled once.
  const std::string loopBody = "body Loop(z)/body, compiled for";
  EXPECT_NE(explain.find(loopBody), std::string::npos) << explain;
  EXPECT_EQ(explain.find(loopBody), explain.rfind(loopBody)) << explain;
  EXPECT_EQ(explain.find("FALLBACK"), std::string::npos) << explain;
}

// Outputs that are constants need no buffer: an initializer listed as a graph output, and a
// branch whose output folds to a constant (found by the engine fuzz target: "has no storage").
TEST_P(Engine, OutputsThatAreConstantsNeedNoStorage) {
  ir::Model model = ir::parseModelText(R"(<ir_version: 8, opset_import: ["" : 13]>
g (bool[1] c, float[1,2] x) => (float[1,2] y, float[1,2] k, float[1,2] z)
<float[1,2] k = {1, -2}>
{
  y = Relu (x)
  z = If (c) <then_branch = folds () => (float[1,2] tz) { tz = Add (k, k) },
              else_branch = runs () => (float[1,2] ez) { ez = Neg (x) }>
}
)");
  runtime::TensorMap inputs = {{"x", ir::Tensor::fromVector<float>(ir::DType::Float, {1, 2}, {-3, 4})}};
  JitEngine engine(model, {{"c", {1}}, {"x", {1, 2}}}, {GetParam(), 1});
  for (bool branch : {true, false}) {
    inputs["c"] = ir::Tensor::fromVector<uint8_t>(ir::DType::Bool, {1}, {branch});
    runtime::TensorMap outputs = engine.run(inputs);
    EXPECT_EQ(outputs.at("y").toFloatVector(), (std::vector<float>{0, 4}));
    EXPECT_EQ(outputs.at("k").toFloatVector(), (std::vector<float>{1, -2}));
    EXPECT_EQ(outputs.at("z").toFloatVector(), (branch ? std::vector<float>{2, -4} : std::vector<float>{3, -4}));
  }
}

TEST_P(Engine, UnsupportedNodesFallBackWithReorders) {
  std::string explain = expectSameAsReference(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,8,6,6] x, float[8, 8, 3, 3] w, float[288, 8] fc) => (float[1,8] z)
<int64[2] shape = {1, 288}>
{
  c = Conv <pads = [1,1,1,1]> (x, w)
  t = Softsign (c)
  r = Relu (t)
  f = Reshape (r, shape)
  z = MatMul (f, fc)
}
)",
                                              GetParam());
  EXPECT_NE(explain.find("Softsign(t): Softsign -> FALLBACK"), std::string::npos) << explain;
  EXPECT_NE(explain.find("Reshape(f): Reshape -> alias of its input's plain buffer"), std::string::npos) << explain;
  EXPECT_NE(explain.find("MatMul(z): MatMul -> kernel"), std::string::npos) << explain;
  EXPECT_NE(explain.find("1 fallback node(s)"), std::string::npos) << explain;
}

TEST_P(Engine, SingleThreadMatchesToo) {
  expectSameAsReference(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,64,10,10] x, float[64, 4, 3, 3] w) => (float[1,64,10,10] z)
{
  z = Conv <group = 16, pads = [1,1,1,1]> (x, w)
}
)",
                        GetParam(), 1);
}

// Layers of one shape get identical kernels: one of them is compiled, the
// others become a jump to it (MergeFunctions). An engine of several threads
// compiles its kernels in parts on as many threads (codegen/engine/jit.h): here
// seven kernels, four of them alike, in seven parts on three threads.
TEST_P(Engine, IdenticalKernelsCompiledOnceAndInPartsOnSeveralThreads) {
  const char* text = R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,16,12,12] x, float[16,16,3,3] w1, float[16,16,3,3] w2, float[16,16,3,3] w3, float[16,16,3,3] w4,
   float[32,16,1,1] w5, float[32,1,3,3] w6) => (float[1,32,6,6] z)
{
  a1 = Conv <pads = [1,1,1,1]> (x, w1)
  b1 = Relu (a1)
  a2 = Conv <pads = [1,1,1,1]> (b1, w2)
  b2 = Relu (a2)
  a3 = Conv <pads = [1,1,1,1]> (b2, w3)
  b3 = Relu (a3)
  a4 = Conv <pads = [1,1,1,1]> (b3, w4)
  b4 = Relu (a4)
  p = MaxPool <kernel_shape = [2,2], strides = [2,2]> (b4)
  q = Conv (p, w5)
  r = Conv <group = 32, pads = [1,1,1,1]> (q, w6)
  z = Sigmoid (r)
}
)";
  std::string explain = expectSameAsReference(text, GetParam(), 3);
  for (const char* conv : {"Conv(a1): Conv -> kernel k0_dense", "Conv(a4): Conv -> kernel k3_dense", "k6_depthwise"})
    EXPECT_EQ(has(explain, conv), "");
  std::string kernels = emitKernels(testing::modelWithFixedWeights(text), {}, {GetParam(), 3}, "", false);
  std::vector<std::string> jumps;
  for (size_t at = 0; (at = kernels.find("tail call void @k", at)) != std::string::npos; ++at)
    jumps.push_back(kernels.substr(at + 16, kernels.find('(', at) - at - 16));
  ASSERT_EQ(jumps.size(), 3u) << fmt::format("{}", jumps);
  EXPECT_EQ(std::count(jumps.begin(), jumps.end(), jumps.front()), 3) << fmt::format("{}", jumps);
}

// The engine compiles initializers as constants, so an initializer that is also
// an input (a constant below IR 4, an overridable default from IR 4 on) runs
// with its value and cannot be fed: the reference engine takes IR >= 4 overrides.
TEST(EngineInitializerInputs, RunWithTheirValueAndCannotBeFed) {
  for (int irVersion : {3, 7}) {
    SCOPED_TRACE(irVersion);
    ir::Model model = ir::parseModelText(fmt::format(R"(<ir_version: {}, opset_import: ["" : 8]>
g (float[2] x, float[2] s) => (float[2] y)
<float[2] s = {{2, 3}}>
{{ y = Mul (x, s) }})",
                                                     irVersion));
    JitEngine engine(model, {}, {"x86-64-v3", 1});
    ir::Tensor x = ir::Tensor::fromVector(ir::DType::Float, {2}, std::vector<float>{1, 1});
    EXPECT_EQ(engine.run({{"x", x}}).at("y").toFloatVector(), (std::vector<float>{2, 3}));
    try {
      engine.run({{"x", x}, {"s", x}});
      FAIL() << "expected an InputError";
    } catch (const InputError& e) {
      EXPECT_THAT(e.what(), ::testing::HasSubstr("'s' is an initializer"));
      EXPECT_EQ(std::string(e.what()).find("reference engine") != std::string::npos, irVersion >= 4) << e.what();
    }
  }
}

// One engine, several threads calling run at once: each run returns what it
// returns alone (runs share the engine's arena, so they take turns).
TEST(EngineConcurrency, RunsFromSeveralThreadsEqualRunsAlone) {
  ir::Model model = ir::parseModelText(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,24,12,12] x) => (float[1,24,12,12] y)
<int64[4] wshape = {24, 24, 3, 3}>
{
  w = ConstantOfShape <value = float[1] {0.02}> (wshape)
  c = Conv <pads = [1, 1, 1, 1]> (x, w)
  r = Relu (c)
  y = Add (r, x)
}
)");
  JitEngine engine(model, {}, {"", 2});
  constexpr int kInputs = 4, kThreads = 4, kRunsPerThread = 25;
  std::vector<runtime::TensorMap> inputs, alone;
  for (int k = 0; k < kInputs; ++k) {
    inputs.push_back(runtime::randomInputs(*model.graph, {uint64_t(k), {}, {}}));
    alone.push_back(engine.run(inputs.back()));
  }
  std::vector<std::vector<runtime::TensorMap>> got(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRunsPerThread; ++i) got[t].push_back(engine.run(inputs[(t + i) % kInputs]));
    });
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t)
    for (int i = 0; i < kRunsPerThread; ++i) {
      auto want = alone[(t + i) % kInputs].at("y").bytes(), have = got[t][i].at("y").bytes();
      ASSERT_TRUE(std::equal(want.begin(), want.end(), have.begin(), have.end())) << "thread " << t << " run " << i;
    }
}

// A grouped 3x3 conv, then `op` (Sigmoid runs as a kernel, Softsign falls back).
ir::Model groupedConvThen(const std::string& op) {
  return ir::parseModelText(fmt::format(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,32,12,12] x, float[32,8,3,3] w) => (float[1,32,12,12] y)
{{
  c = Conv <group = 4, pads = [1, 1, 1, 1]> (x, w)
  y = {} (c)
}}
)",
                                        op));
}

// With adaptThreads (the default) the engine times runs on one thread against
// runs on all and uses the faster (runtime/thread_choice.h); either way a run
// returns the same bytes. Fixed threads never run on one.
TEST(EngineThreadChoice, RunsOnOneThreadOrAllWithTheSameResults) {
  ir::Model model = groupedConvThen("Sigmoid");
  runtime::TensorMap inputs = runtime::randomInputs(*model.graph, {7, {}, {}});
  for (bool adapt : {true, false}) {
    SCOPED_TRACE(adapt);
    JitEngine engine(model, {},
                     {.cpu = "", .threads = 2, .flushDenormals = true, .adaptThreads = adapt, .afterPlanningStep = {}});
    std::vector<uint8_t> first;
    constexpr int kRuns = 12;
    for (int i = 0; i < kRuns; ++i) {
      runtime::TensorMap outputs = engine.run(inputs);
      auto bytes = outputs.at("y").bytes();
      if (i == 0) first.assign(bytes.begin(), bytes.end());
      ASSERT_TRUE(std::equal(first.begin(), first.end(), bytes.begin(), bytes.end())) << "run " << i;
    }
    JitEngine::ThreadRuns runs = engine.threadRuns();
    EXPECT_EQ(runs.oneThread + runs.allThreads, uint64_t(kRuns));
    // Adapting, both are timed CONVOPT_THREAD_CHOICE_MIN_SAMPLES times after the warm-up.
    EXPECT_EQ(runs.oneThread >= CONVOPT_THREAD_CHOICE_MIN_SAMPLES, adapt);
    if (!adapt) {
      EXPECT_EQ(runs.oneThread, 0u);
    }
  }
}

// Threads the system will not start (here: no address space left for their
// stacks) are an InputError naming the count, not a crash, and the engine goes
// on at one thread with the same results. Runs in a child process (it lowers
// RLIMIT_AS), exiting 0 when all of that holds.
[[noreturn]] void askForThreadsWithoutRoomForTheirStacks(const ir::Model& model, const runtime::TensorMap& inputs) {
  JitEngine engine(model, {}, {.cpu = "", .threads = 1, .adaptThreads = false});
  ir::Tensor before = engine.run(inputs).at("y");
  pthread_attr_t stacks;  // 8 MB each, whatever the host's `ulimit -s`
  pthread_attr_init(&stacks);
  pthread_attr_setstacksize(&stacks, 8u << 20);
  pthread_setattr_default_np(&stacks);
  size_t pages = 0;
  std::ifstream("/proc/self/statm") >> pages;
  rlimit previous{};
  getrlimit(RLIMIT_AS, &previous);
  rlimit limit = previous;
  limit.rlim_cur = pages * size_t(sysconf(_SC_PAGESIZE)) + (64u << 20);  // room for a few of the 64 stacks
  if (setrlimit(RLIMIT_AS, &limit) != 0) {
    std::fprintf(stderr, "cannot lower RLIMIT_AS (a lower hard limit?)\n");
    std::_Exit(2);
  }
  try {
    engine.setThreads(64);
    std::fprintf(stderr, "64 threads started under the limit\n");
  } catch (const InputError& error) {
    std::fprintf(stderr, "%s\n", error.what());
  }
  setrlimit(RLIMIT_AS, &previous);
  ir::Tensor after = engine.run(inputs).at("y");
  bool same = std::ranges::equal(after.bytes(), before.bytes());
  std::_Exit(engine.threads() == 1 && same ? 0 : 1);
}

TEST(EngineThreadChoice, ThreadsTheSystemWillNotStartAreAnErrorAndTheEngineGoesOnAtOne) {
  if (kSanitized)
    GTEST_SKIP() << "under a sanitizer, whose runtime needs address space of its own, the limit cannot be set";
  GTEST_FLAG_SET(death_test_style, "threadsafe");  // this process has run threads: re-execute, not fork
  ir::Model model = groupedConvThen("Sigmoid");
  runtime::TensorMap inputs = runtime::randomInputs(*model.graph, {7, {}, {}});
  EXPECT_EXIT(askForThreadsWithoutRoomForTheirStacks(model, inputs), ::testing::ExitedWithCode(0),
              "could not start 64 threads: thread [0-9]+ failed");
}

// A traced run records every step once, and each step's work units as chunks
// that cover them exactly once, run by the engine's threads within the step's
// time; a reference fallback is one chunk on the caller. Tracing off, nothing.
TEST(EngineTrace, EveryStepsUnitsRunOnceWithinTheStep) {
  ir::Model model = groupedConvThen("Softsign");
  runtime::TensorMap inputs = runtime::randomInputs(*model.graph, {7, {}, {}});
  for (int threads : {1, 2}) {
    SCOPED_TRACE(threads);
    JitEngine engine(model, {}, {.cpu = "", .threads = threads, .adaptThreads = false});
    engine.run(inputs);
    EXPECT_TRUE(engine.trace().empty());
    engine.setTracing(true);
    constexpr int kRuns = 3;
    for (int i = 0; i < kRuns; ++i) engine.run(inputs);
    std::vector<TraceSpan> spans = engine.trace();
    std::vector<StepProfile> steps = engine.profile();
    ASSERT_THAT(steps, ::testing::Contains(::testing::Field(&StepProfile::category, "fallback Softsign")));
    double previousEndUs = 0;
    for (int run = 0; run < kRuns; ++run)
      for (int step = 0; step < int(steps.size()); ++step) {
        SCOPED_TRACE(fmt::format("run {} step {} ({})", run, step, steps[size_t(step)].label));
        std::vector<TraceSpan> whole, chunks;
        for (const TraceSpan& span : spans)
          if (span.run == run && span.step == step) (span.thread < 0 ? whole : chunks).push_back(span);
        ASSERT_EQ(whole.size(), 1u);
        EXPECT_EQ(whole[0].endUnit, steps[size_t(step)].units);
        EXPECT_EQ(whole[0].threads, threads);
        EXPECT_LE(previousEndUs, whole[0].startUs) << "steps and runs follow each other";
        previousEndUs = whole[0].endUs;
        std::sort(chunks.begin(), chunks.end(), [](auto& a, auto& b) { return a.beginUnit < b.beginUnit; });
        int64_t next = 0;
        for (const TraceSpan& chunk : chunks) {
          EXPECT_EQ(chunk.beginUnit, next);
          EXPECT_LT(chunk.beginUnit, chunk.endUnit);
          next = chunk.endUnit;
          EXPECT_TRUE(chunk.thread >= 0 && chunk.thread < threads) << chunk.thread;
          EXPECT_LE(whole[0].startUs, chunk.startUs);
          EXPECT_LE(chunk.startUs, chunk.endUs);
          EXPECT_LE(chunk.endUs, whole[0].endUs);
        }
        EXPECT_EQ(next, steps[size_t(step)].units);
      }
    EXPECT_FALSE(std::any_of(spans.begin(), spans.end(), [](auto& s) { return s.run >= kRuns; }));
    engine.setTracing(false);
    engine.run(inputs);
    EXPECT_TRUE(engine.trace().empty());
  }
}

// Generated kernels flush denormals to zero unless asked to keep them, and the
// calling thread's float control mode is as it was after a run.
TEST(EngineDenormals, FlushedToZeroUnlessKept) {
  ir::Model model = ir::parseModelText(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,1,1,2] x) => (float[1,1,1,2] y)
<float[1,1,1,1] w = {1.0}>
{ y = Conv (x, w) })");
  ir::Tensor x = ir::Tensor::fromVector(ir::DType::Float, {1, 1, 1, 2}, std::vector<float>{1e-39f, 1.0f});
  for (bool flush : {true, false}) {
    SCOPED_TRACE(flush);
    JitEngine engine(model, {}, {"x86-64-v3", 1, flush});
    unsigned control = ~0x3Fu;  // MXCSR without its sticky exception flags
    unsigned mode = _mm_getcsr() & control;
    EXPECT_EQ(engine.run({{"x", x}}).at("y").toFloatVector(), (std::vector<float>{flush ? 0.0f : 1e-39f, 1.0f}));
    EXPECT_EQ(_mm_getcsr() & control, mode);
  }
}

INSTANTIATE_TEST_SUITE_P(Targets, Engine, ::testing::Values("x86-64-v3", "x86-64-v4"),
                         [](const auto& info) { return std::string(info.param) == "x86-64-v3" ? "AVX2" : "AVX512"; });

}  // namespace
}  // namespace convopt::codegen
