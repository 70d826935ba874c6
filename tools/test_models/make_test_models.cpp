// Writes the project's own test models (tests/models/generated/NAME/model.onnx):
// models as users bring them, which the shared models lack. Each is ONNX text
// with seeded random weights, so the files are reproducible byte for byte;
// scripts/dev/make_test_models.sh adds their onnxruntime goldens.
//   audio_dwsep_1d       1-D convs (NCW), dynamic batch and length: depthwise
//                        convs stored densely, a merged depthwise + pointwise
//                        pair, a block-diagonal conv
//   branchy_control_flow an If picking a branch by an input flag, a Loop of a
//                        conv; the structured convs are inside the bodies
//   dynamic_batch_cnn    dynamic batch through a Shape -> Reshape, a Split ->
//                        Conv x2 -> Concat chain, BatchNorms
//   permuted_groups_cnn  ShuffleNet-style blocks whose pointwise convs are
//                        grouped after a channel permutation (interleaved
//                        blocks), with BatchNorms, Relus and a depthwise conv
//                        between them
// The structured convs of each, by kind, are in tests/models/generated/README.md.
#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "ir/onnx_io.h"

namespace {

namespace fs = std::filesystem;

// Seeded weights as ONNX text initializers.
class Weights {
 public:
  explicit Weights(unsigned seed) : rng_(seed) {}

  float noise(float scale) { return std::normal_distribution<float>(0.0f, scale)(rng_); }

  // `name` of `dims` whose element at flat index i is valueAt(i), as "float[dims] name = {...}".
  std::string tensor(const std::string& name, const std::vector<int64_t>& dims,
                     const std::function<float(int64_t)>& valueAt) {
    int64_t n = 1;
    for (int64_t d : dims) n *= d;
    std::vector<std::string> values;
    for (int64_t i = 0; i < n; ++i) values.push_back(fmt::format("{:.9g}", valueAt(i)));
    return fmt::format("float[{}] {} = {{{}}}", fmt::join(dims, ","), name, fmt::join(values, ", "));
  }
  std::string random(const std::string& name, const std::vector<int64_t>& dims, float scale, float offset = 0) {
    return tensor(name, dims, [&](int64_t) { return offset + noise(scale); });
  }
  // A conv weight [out, in, kernel...] whose (o, i, s) element is at(o, i, s) (s: flat kernel index).
  std::string conv(const std::string& name, int64_t out, int64_t in, const std::vector<int64_t>& kernel,
                   const std::function<float(int64_t, int64_t, int64_t)>& at) {
    int64_t k = 1;
    for (int64_t d : kernel) k *= d;
    std::vector<int64_t> dims = {out, in};
    dims.insert(dims.end(), kernel.begin(), kernel.end());
    return tensor(name, dims, [&](int64_t i) { return at(i / (in * k), (i / k) % in, i % k); });
  }
  std::string dense(const std::string& name, int64_t out, int64_t in, const std::vector<int64_t>& kernel) {
    return conv(name, out, in, kernel, [&](int64_t, int64_t, int64_t) { return noise(0.2f); });
  }
  // A depthwise conv stored densely: only the diagonal is non-zero.
  std::string diagonal(const std::string& name, int64_t c, const std::vector<int64_t>& kernel) {
    return conv(name, c, c, kernel, [&](int64_t o, int64_t i, int64_t) { return o == i ? noise(0.3f) : 0.0f; });
  }
  // A grouped conv stored densely: `groups` blocks on the diagonal, channel j in block
  // j / (c / groups), or with `interleaved` in block j % groups (block-diagonal after a permutation).
  std::string blocks(const std::string& name, int64_t c, const std::vector<int64_t>& kernel, int64_t groups,
                     bool interleaved) {
    auto block = [&](int64_t j) { return interleaved ? j % groups : j / (c / groups); };
    return conv(name, c, c, kernel,
                [&](int64_t o, int64_t i, int64_t) { return block(o) == block(i) ? noise(0.2f) : 0.0f; });
  }
  // A depthwise conv (D) followed by a pointwise one (P), merged: W[o, i, s] = P[o, i] * D[i, s].
  std::string merged(const std::string& name, int64_t out, int64_t in, const std::vector<int64_t>& kernel) {
    int64_t k = 1;
    for (int64_t d : kernel) k *= d;
    std::vector<float> depthwise(in * k), pointwise(out * in);
    for (float& v : depthwise) v = noise(0.3f);
    for (float& v : pointwise) v = noise(0.3f);
    return conv(name, out, in, kernel,
                [&](int64_t o, int64_t i, int64_t s) { return pointwise[o * in + i] * depthwise[i * k + s]; });
  }
  // The four BatchNormalization parameters of `c` channels, named PREFIX_{scale,shift,mean,var}.
  std::string batchNorm(const std::string& prefix, int64_t c) {
    return fmt::format("{}, {}, {}, {}", random(prefix + "_scale", {c}, 0.2f, 1.0f),
                       random(prefix + "_shift", {c}, 0.1f), random(prefix + "_mean", {c}, 0.1f),
                       tensor(prefix + "_var", {c}, [&](int64_t) { return 1.0f + std::abs(noise(0.2f)); }));
  }

 private:
  std::mt19937 rng_;
};

std::string audioDwsep1d() {
  Weights w(101);
  const int64_t c = 32;
  std::vector<std::string> inits = {
      w.dense("stem_w", c, 1, {9}), w.random("stem_b", {c}, 0.1f),       w.diagonal("dw1_w", c, {5}),
      w.batchNorm("bn1", c),        w.dense("pw1_w", c, c, {1}),         w.diagonal("dw2_w", c, {5}),
      w.batchNorm("bn2", c),        w.dense("pw2_w", c, c, {1}),         w.merged("sep_w", c, c, {3}),
      w.random("sep_b", {c}, 0.1f), w.blocks("grp_w", c, {3}, 4, false), w.random("fc_w", {10, c}, 0.2f),
      w.random("fc_b", {10}, 0.1f)};
  return fmt::format(R"(<ir_version: 8, opset_import: ["" : 13]>
audio_dwsep_1d (float[N,1,T] audio) => (float[N,10] logits)
<{}>
{{
  stem = Conv <kernel_shape = [9], strides = [2], pads = [4, 4]> (audio, stem_w, stem_b)
  stem_r = Relu (stem)
  dw1 = Conv <kernel_shape = [5], pads = [2, 2]> (stem_r, dw1_w)
  bn1 = BatchNormalization (dw1, bn1_scale, bn1_shift, bn1_mean, bn1_var)
  bn1_r = Relu (bn1)
  pw1 = Conv <kernel_shape = [1]> (bn1_r, pw1_w)
  pw1_r = Relu (pw1)
  dw2 = Conv <kernel_shape = [5], strides = [2], pads = [2, 2]> (pw1_r, dw2_w)
  bn2 = BatchNormalization (dw2, bn2_scale, bn2_shift, bn2_mean, bn2_var)
  bn2_r = Relu (bn2)
  pw2 = Conv <kernel_shape = [1]> (bn2_r, pw2_w)
  pw2_r = Relu (pw2)
  sep = Conv <kernel_shape = [3], pads = [1, 1]> (pw2_r, sep_w, sep_b)
  sep_r = Relu (sep)
  grp = Conv <kernel_shape = [3], pads = [1, 1]> (sep_r, grp_w)
  grp_r = Relu (grp)
  pool = GlobalAveragePool (grp_r)
  flat = Flatten (pool)
  logits = Gemm <transB = 1> (flat, fc_w, fc_b)
}}
)",
                     fmt::join(inits, ",\n  "));
}

std::string branchyControlFlow() {
  Weights w(202);
  const int64_t c = 32;
  std::vector<std::string> outer = {w.dense("stem_w", c, 8, {3, 3}), w.random("stem_b", {c}, 0.1f),
                                    w.random("fc_w", {10, c}, 0.2f), w.random("fc_b", {10}, 0.1f)};
  // Each body holds its own weights: a body's initializers are constants there.
  std::string thenWeights = w.diagonal("narrow_w", c, {3, 3});
  std::string elseWeights = w.blocks("wide_w", c, {3, 3}, 4, false);
  std::string loopWeights = w.blocks("mix_w", c, {3, 3}, 4, false);
  return fmt::format(R"(<ir_version: 8, opset_import: ["" : 13]>
branchy_control_flow (float[N,8,16,16] x, bool[1] wide) => (float[N,10] logits)
<{}, int64 trips = {{2}}>
{{
  stem = Conv <pads = [1, 1, 1, 1]> (x, stem_w, stem_b)
  stem_r = Relu (stem)
  picked = If (wide) <then_branch = narrow () => (float[N,{},16,16] narrow_r)
    <{}>
    {{
      narrow_c = Conv <pads = [1, 1, 1, 1]> (stem_r, narrow_w)
      narrow_r = Relu (narrow_c)
    }}, else_branch = wide_branch () => (float[N,{},16,16] wide_r)
    <{}>
    {{
      wide_c = Conv <pads = [1, 1, 1, 1]> (stem_r, wide_w)
      wide_r = Relu (wide_c)
    }}>
  mixed = Loop (trips, , picked) <body = mix (int64 i, bool cond_in, float[N,{},16,16] v) => (bool cond_out, float[N,{},16,16] v_out)
    <{}>
    {{
      cond_out = Identity (cond_in)
      mix_c = Conv <pads = [1, 1, 1, 1]> (v, mix_w)
      v_out = Relu (mix_c)
    }}>
  pool = GlobalAveragePool (mixed)
  flat = Flatten (pool)
  logits = Gemm <transB = 1> (flat, fc_w, fc_b)
}}
)",
                     fmt::join(outer, ",\n  "), c, thenWeights, c, elseWeights, c, c, loopWeights);
}

std::string dynamicBatchCnn() {
  Weights w(303);
  const int64_t c = 16;
  std::vector<std::string> inits = {w.dense("stem_w", c, 3, {3, 3}),           w.batchNorm("bn0", c),
                                    w.merged("sep_w", 2 * c, c, {3, 3}),       w.random("sep_b", {2 * c}, 0.1f),
                                    w.dense("left_w", c, c, {3, 3}),           w.random("left_b", {c}, 0.1f),
                                    w.dense("right_w", c, c, {3, 3}),          w.random("right_b", {c}, 0.1f),
                                    w.random("fc_w", {10, 2 * c * 16}, 0.05f), w.random("fc_b", {10}, 0.1f)};
  return fmt::format(R"(<ir_version: 8, opset_import: ["" : 13]>
dynamic_batch_cnn (float[batch,3,32,32] image) => (float[batch,10] logits)
<{}, int64[1] zero = {{0}}, int64[1] rest = {{-1}}>
{{
  stem = Conv <pads = [1, 1, 1, 1], strides = [2, 2]> (image, stem_w)
  bn0 = BatchNormalization (stem, bn0_scale, bn0_shift, bn0_mean, bn0_var)
  bn0_r = Relu (bn0)
  sep = Conv <pads = [1, 1, 1, 1]> (bn0_r, sep_w, sep_b)
  sep_r = Relu (sep)
  halves_0, halves_1 = Split <axis = 1> (sep_r)
  left = Conv <pads = [1, 1, 1, 1]> (halves_0, left_w, left_b)
  right = Conv <pads = [1, 1, 1, 1]> (halves_1, right_w, right_b)
  joined = Concat <axis = 1> (left, right)
  joined_r = Relu (joined)
  pooled = MaxPool <kernel_shape = [4, 4], strides = [4, 4]> (joined_r)
  dims = Shape (pooled)
  n = Gather (dims, zero)
  flat_shape = Concat <axis = 0> (n, rest)
  flat = Reshape (pooled, flat_shape)
  logits = Gemm <transB = 1> (flat, fc_w, fc_b)
}}
)",
                     fmt::join(inits, ",\n  "));
}

std::string permutedGroupsCnn() {
  Weights w(404);
  const int64_t c = 64, groups = 4, blocks = 3;
  std::vector<std::string> inits = {w.dense("stem_w", c, 3, {3, 3}), w.batchNorm("stem_bn", c),
                                    w.random("fc_w", {10, c}, 0.1f), w.random("fc_b", {10}, 0.1f)};
  std::string body;
  std::string x = "stem_r";
  for (int64_t b = 0; b < blocks; ++b) {
    std::string p = fmt::format("b{}", b);
    inits.insert(inits.end(), {w.blocks(p + "_pw1_w", c, {1, 1}, groups, true), w.batchNorm(p + "_bn1", c),
                               w.random(p + "_dw_w", {c, 1, 3, 3}, 0.3f), w.batchNorm(p + "_bn2", c),
                               w.blocks(p + "_pw2_w", c, {1, 1}, groups, true), w.batchNorm(p + "_bn3", c)});
    body += fmt::format(R"(  {0}_pw1 = Conv ({1}, {0}_pw1_w)
  {0}_bn1 = BatchNormalization ({0}_pw1, {0}_bn1_scale, {0}_bn1_shift, {0}_bn1_mean, {0}_bn1_var)
  {0}_r1 = Relu ({0}_bn1)
  {0}_dw = Conv <group = {2}, pads = [1, 1, 1, 1]> ({0}_r1, {0}_dw_w)
  {0}_bn2 = BatchNormalization ({0}_dw, {0}_bn2_scale, {0}_bn2_shift, {0}_bn2_mean, {0}_bn2_var)
  {0}_pw2 = Conv ({0}_bn2, {0}_pw2_w)
  {0}_bn3 = BatchNormalization ({0}_pw2, {0}_bn3_scale, {0}_bn3_shift, {0}_bn3_mean, {0}_bn3_var)
  {0}_r3 = Relu ({0}_bn3)
)",
                        p, x, c);
    x = p + "_r3";
  }
  return fmt::format(R"(<ir_version: 8, opset_import: ["" : 13]>
permuted_groups_cnn (float[N,3,56,56] image) => (float[N,10] logits)
<{}>
{{
  stem = Conv <pads = [1, 1, 1, 1], strides = [2, 2]> (image, stem_w)
  stem_bn = BatchNormalization (stem, stem_bn_scale, stem_bn_shift, stem_bn_mean, stem_bn_var)
  stem_r = Relu (stem_bn)
{}  pool = GlobalAveragePool ({})
  flat = Flatten (pool)
  logits = Gemm <transB = 1> (flat, fc_w, fc_b)
}}
)",
                     fmt::join(inits, ",\n  "), body, x);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    fmt::print(stderr, "usage: make_test_models OUT_DIR   (writes OUT_DIR/NAME/model.onnx for each test model)\n");
    return 2;
  }
  const std::vector<std::pair<const char*, std::function<std::string()>>> models = {
      {"audio_dwsep_1d", audioDwsep1d},
      {"branchy_control_flow", branchyControlFlow},
      {"dynamic_batch_cnn", dynamicBatchCnn},
      {"permuted_groups_cnn", permutedGroupsCnn}};
  for (const auto& [name, text] : models) {
    fs::path dir = fs::path(argv[1]) / name;
    fs::create_directories(dir);
    convopt::ir::Model model = convopt::ir::parseModelText(text());
    model.producerName = "convopt make_test_models";
    convopt::ir::saveModel(model, dir / "model.onnx");
  }
  return 0;
}
