// The generated exp, Sigmoid and SiLU (codegen/builder/epilogue_emitter.cpp)
// against libm in double precision, on every 977th float from -100 to 100 and
// on the values where they must be exact, on both vector widths: exp within
// 1.5 ulp, Sigmoid and SiLU within 3 (exp, 1 + e and a reciprocal estimate
// refined by Newton steps) where the result is a normal float; beyond, exact
// (0, 1, NaN) or saturated. SiLU both as an elementwise kernel and fused into
// a conv's epilogue (Activation::SiLU). Erf and Tanh within 1e-6 relative (±1
// at the infinities), Softplus within 1e-6 relative, and both GELUs and Mish
// within 4e-7 times max(1, x) (+inf at +inf), exact GELU also fused.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <numbers>
#include <tuple>

#include "codegen/engine/jit_engine.h"
#include "ir/onnx_io.h"
#include "tests/support/target_cpus.h"

namespace convopt::codegen {
namespace {

class ExpAccuracy : public TargetTest<const char*> {
 protected:
  // 16 channels of one column: every 977th float between -100 and 100 (both
  // signs, every binade down to the smallest normal), and 0, the infinities
  // and NaN (channel 0's first 5 rows), then zeros.
  static std::vector<float> inputs() {
    std::vector<float> x = {0.0f, -0.0f, std::numeric_limits<float>::infinity(),
                            -std::numeric_limits<float>::infinity(), std::nanf("")};
    for (uint32_t bits = 0x00800000u; bits <= 0x42c80000u; bits += 977) {  // 2^-126 .. 100
      float v;
      std::memcpy(&v, &bits, sizeof v);
      x.push_back(v), x.push_back(-v);
    }
    x.resize((x.size() + kChannels - 1) / kChannels * kChannels, 0.0f);
    return x;
  }
  static constexpr int64_t kChannels = 16;

  // The engine on x of [1, kChannels, rows, 1]: `body` computes `outputs`, each of
  // x's shape, from x and from c, x passed through an identity 1x1 conv (rows
  // holding a non-finite value mix it into every channel) into whose epilogue
  // the node `fused` must fuse.
  runtime::TensorMap run(int opset, const std::vector<std::string>& outputs, const std::string& body,
                         const std::string& fused, const std::vector<float>& x) {
    int64_t rows = int64_t(x.size()) / kChannels;
    std::vector<float> identity(kChannels * kChannels, 0.0f);
    for (int64_t c = 0; c < kChannels; ++c) identity[c * kChannels + c] = 1;
    std::vector<std::string> declared;
    for (const std::string& output : outputs)
      declared.push_back(fmt::format("float[1,{},{},1] {}", kChannels, rows, output));
    ir::Model model = ir::parseModelText(fmt::format(R"(<ir_version: 8, opset_import: ["" : {}]>
g (float[1,{},{},1] x) => ({})
<float[{},{},1,1] w = {{{}}}>
{{
  c = Conv (x, w)
{}
}}
)",
                                                     opset, kChannels, rows, fmt::join(declared, ", "), kChannels,
                                                     kChannels, fmt::join(identity, ", "), body));
    runtime::TensorMap in = {{"x", ir::Tensor::fromVector<float>(ir::DType::Float, {1, kChannels, rows, 1}, x)}};
    JitEngine engine(model, {{"x", {1, kChannels, rows, 1}}}, {GetParam(), 1});
    EXPECT_NE(engine.explain().find(fused + " -> fused into"), std::string::npos) << engine.explain();
    EXPECT_NE(engine.explain().find("0 fallback node(s)"), std::string::npos) << engine.explain();
    return engine.run(in);
  }

  // e = Exp(x), s = Sigmoid(x), silu = x * Sigmoid(x) as elementwise kernels, fused = that SiLU fused.
  runtime::TensorMap runExpFamily(const std::vector<float>& x) {
    return run(13, {"e", "s", "silu", "fused"}, R"(  e = Exp (x)
  s = Sigmoid (x)
  silu = Mul (x, s)
  g = Sigmoid (c)
  fused = Mul (c, g))",
               "Mul(fused): Mul", x);
  }

  // erf, tanh, gelu, gelu_tanh as elementwise kernels, and fused = Gelu fused.
  runtime::TensorMap runErfFamily(const std::vector<float>& x) {
    return run(20, {"erf", "tanh", "gelu", "gelu_tanh", "fused", "softplus", "mish"}, R"(  erf = Erf (x)
  tanh = Tanh (x)
  gelu = Gelu (x)
  gelu_tanh = Gelu <approximate = "tanh"> (x)
  fused = Gelu (c)
  softplus = Softplus (x)
  mish = Mish (x))",
               "Gelu(fused): Gelu", x);
  }

  // Error in units of the last place of `want` (a normal float's spacing).
  static double ulps(float got, double want) {
    return std::abs(got - want) / std::ldexp(1.0, std::ilogb(float(want)) - 23);
  }
};

TEST_P(ExpAccuracy, ExpWithin1Point5UlpOfLibmAndSaturatedOutsideItsRange) {
  std::vector<float> x = inputs();
  std::vector<float> e = runExpFamily(x).at("e").toFloatVector();
  double worst = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    double want = std::exp(double(x[i]));
    if (std::isnan(x[i])) {
      EXPECT_TRUE(std::isnan(e[i]));
    } else if (x[i] >= -87.3f && x[i] <= 88.0f) {
      worst = std::max(worst, ulps(e[i], want));
    } else if (x[i] > 88.0f) {  // clamped: 2^n stays a normal float
      EXPECT_EQ(e[i], std::exp(88.0f)) << x[i];
    } else {
      EXPECT_LE(e[i], 1.22e-38f) << x[i];
    }
  }
  EXPECT_LE(worst, 1.5);  // 1.22 on a Zen 5 host, either width
}

TEST_P(ExpAccuracy, SigmoidAndSiLUWithin3UlpOfLibm) {
  std::vector<float> x = inputs();
  runtime::TensorMap y = runExpFamily(x);
  std::vector<float> s = y.at("s").toFloatVector(), silu = y.at("silu").toFloatVector();
  std::vector<float> fused = y.at("fused").toFloatVector();
  size_t rows = x.size() / kChannels;
  std::vector<bool> finiteRow(rows, true);
  for (size_t i = 0; i < x.size(); ++i) finiteRow[i % rows] = finiteRow[i % rows] && std::isfinite(x[i]);
  double worstSigmoid = 0, worstSiLU = 0, worstFused = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    if (std::isnan(x[i])) {
      EXPECT_TRUE(std::isnan(s[i]) && std::isnan(silu[i]));
      continue;
    }
    double sigmoid = 1 / (1 + std::exp(-double(x[i])));
    if (sigmoid >= 0x1p-126)
      worstSigmoid = std::max(worstSigmoid, ulps(s[i], sigmoid));
    else
      EXPECT_LE(s[i], 0x1p-125f) << x[i];  // below the normal floats: flushed or tiny
    if (std::isinf(x[i])) {
      EXPECT_EQ(s[i], x[i] > 0 ? 1.0f : 0.0f);
      continue;
    }
    double want = x[i] * sigmoid;
    for (auto [got, worst] : {std::pair{silu[i], &worstSiLU}, std::pair{fused[i], &worstFused}}) {
      if (worst == &worstFused && !finiteRow[i % rows]) continue;
      if (std::abs(want) >= 0x1p-100)
        *worst = std::max(*worst, ulps(got, want));
      else
        EXPECT_LE(std::abs(got - want), 0x1p-100) << x[i];  // x below -88: sigmoid's clamp
    }
  }
  EXPECT_LE(worstSigmoid, 3.0);  // 2.45 on a Zen 5 host, either width (exp, 1 + e and its reciprocal)
  EXPECT_LE(worstSiLU, 3.0);     // 2.74, as an elementwise kernel
  EXPECT_LE(worstFused, 3.0);    // 2.74, fused
}

TEST_P(ExpAccuracy, ErfTanhAndGeluWithinAFewE7OfLibm) {
  std::vector<float> x = inputs();
  runtime::TensorMap y = runErfFamily(x);
  std::vector<float> erf = y.at("erf").toFloatVector(), tanh = y.at("tanh").toFloatVector();
  std::vector<float> gelu = y.at("gelu").toFloatVector(), geluTanh = y.at("gelu_tanh").toFloatVector();
  std::vector<float> fused = y.at("fused").toFloatVector();
  std::vector<float> softplus = y.at("softplus").toFloatVector(), mish = y.at("mish").toFloatVector();
  size_t rows = x.size() / kChannels;
  std::vector<bool> finiteRow(rows, true);
  for (size_t i = 0; i < x.size(); ++i) finiteRow[i % rows] = finiteRow[i % rows] && std::isfinite(x[i]);
  double worstErf = 0, worstTanh = 0, worstGelu = 0, worstGeluTanh = 0, worstFused = 0, worstSoftplus = 0,
         worstMish = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    double v = x[i];
    if (std::isnan(v)) {
      EXPECT_TRUE(std::isnan(erf[i]) && std::isnan(tanh[i]) && std::isnan(gelu[i]) && std::isnan(geluTanh[i]));
      continue;
    }
    double softplusWant = std::max(v, 0.0) + std::log1p(std::exp(-std::abs(v)));
    // Softplus halves its tiny values on the way (log(1 + t) from t / (2 + t)): flushed below 2^-125.
    for (auto [got, want, worst, smallest] : {std::tuple{erf[i], std::erf(v), &worstErf, 0x1p-126},
                                              {tanh[i], std::tanh(v), &worstTanh, 0x1p-126},
                                              {softplus[i], softplusWant, &worstSoftplus, 0x1p-124}})
      if (std::abs(want) >= smallest)
        *worst = std::max(*worst, std::isnan(got) ? 1.0 : std::abs(got - want) / std::abs(want));
      else
        EXPECT_LE(std::abs(got), 0x1p-123f) << v;  // below the normal floats: flushed or tiny
    if (std::isinf(v)) {                           // GELU and Mish of +inf are +inf; of -inf, -inf * 0
      if (v > 0) {
        EXPECT_TRUE(gelu[i] == v && geluTanh[i] == v && mish[i] == v)
            << gelu[i] << " " << geluTanh[i] << " " << mish[i];
      }
      continue;
    }
    double exact = v * (0.5 + 0.5 * std::erf(v / std::sqrt(2.0)));
    double approximate = v * (0.5 + 0.5 * std::tanh(std::sqrt(2 / std::numbers::pi) * (v + 0.044715 * v * v * v)));
    // Relative for x > 1, else absolute: GELU's negative tail goes to 0 whatever |x|.
    double scale = std::max(1.0, v);
    auto error = [&](float got, double want) { return std::isnan(got) ? 1.0 : std::abs(got - want) / scale; };
    worstGelu = std::max(worstGelu, error(gelu[i], exact));
    worstGeluTanh = std::max(worstGeluTanh, error(geluTanh[i], approximate));
    if (finiteRow[i % rows]) worstFused = std::max(worstFused, error(fused[i], exact));
    worstMish = std::max(worstMish, error(mish[i], v * std::tanh(softplusWant)));
  }
  EXPECT_LE(worstErf, 1e-6);       // 5.6e-7 on a Zen 5 host, either width
  EXPECT_LE(worstTanh, 1e-6);      // 3.1e-7
  EXPECT_LE(worstGelu, 4e-7);      // 1.7e-7
  EXPECT_LE(worstGeluTanh, 4e-7);  // 1.0e-7
  EXPECT_LE(worstFused, 4e-7);     // 1.7e-7
  EXPECT_LE(worstSoftplus, 1e-6);  // relative
  EXPECT_LE(worstMish, 4e-7);      // as GELU's
}

INSTANTIATE_TEST_SUITE_P(Targets, ExpAccuracy, ::testing::Values("x86-64-v3", "x86-64-v4"),
                         [](const auto& info) { return std::string(info.param) == "x86-64-v3" ? "AVX2" : "AVX512"; });

}  // namespace
}  // namespace convopt::codegen
