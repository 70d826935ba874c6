// Writes convopt's bundled demo model (models/demo.onnx): a small CNN whose
// dense convolutions hide every structure convopt rewrites exactly:
//   block-diagonal (contiguous and channel-permuted), channel-diagonal
//   (a depthwise conv stored densely), per-input-channel rank 1 (a merged
//   depthwise + pointwise pair) and a Split -> Conv x4 -> Concat chain,
// plus BatchNorms to fold. Weights are seeded random, so the file is reproducible.
#include <cmath>
#include <cstdlib>
#include <functional>
#include <random>

#include <fmt/format.h>

#include "ir/graph_building.h"
#include "ir/onnx_io.h"

namespace {

using namespace convopt::ir;

class DemoBuilder {
 public:
  DemoBuilder() : rng_(2026) {
    model_.irVersion = 8;
    model_.opsets = {{"", 13}};
    model_.producerName = "convopt make_demo_model";
    model_.graph->name = "convopt_demo";
  }

  Value* input(const std::string& name, std::vector<int64_t> dims) {
    return graph().addInput(name, ValueType::tensor(DType::Float, dims));
  }

  // A Conv whose weight element (o, i, kh, kw) is weightAt(o, i) * noise.
  Value* conv(const std::string& name, Value* x, int64_t cin, int64_t cout, int64_t k, int64_t stride,
              const std::function<float(int64_t, int64_t, int64_t)>& weightAt) {
    std::vector<float> w(cout * cin * k * k);
    for (int64_t o = 0; o < cout; ++o)
      for (int64_t i = 0; i < cin; ++i)
        for (int64_t s = 0; s < k * k; ++s) w[((o * cin) + i) * k * k + s] = weightAt(o, i, s);
    Value* weight = constant(name + ".weight", {cout, cin, k, k}, w);
    Value* bias = constant(name + ".bias", {cout}, random(cout, 0.1f));
    Node* n = addSquareConv(graph(), x, weight, bias, name + ".out", 1, stride);
    n->name = name;
    return n->output(0);
  }

  Value* batchNorm(const std::string& name, Value* x, int64_t c) {
    std::vector<float> var = random(c, 0.2f);
    for (float& v : var) v = 1.0f + std::fabs(v);
    Node* n = graph().createNode(
        "BatchNormalization",
        {x, constant(name + ".scale", {c}, random(c, 0.3f, 1.0f)), constant(name + ".shift", {c}, random(c, 0.1f)),
         constant(name + ".mean", {c}, random(c, 0.1f)), constant(name + ".var", {c}, var)},
        {name + ".out"});
    n->name = name;
    return n->output(0);
  }

  Value* op(const std::string& opType, const std::string& name, std::vector<Value*> inputs) {
    Node* n = graph().createNode(opType, inputs, {name + ".out"});
    n->name = name;
    return n->output(0);
  }

  Node* node(const std::string& opType, const std::string& name, std::vector<Value*> inputs,
             std::vector<std::string> outputs) {
    Node* n = graph().createNode(opType, inputs, outputs);
    n->name = name;
    return n;
  }

  Value* constant(const std::string& name, std::vector<int64_t> dims, const std::vector<float>& values) {
    return addFloatInitializer(graph(), name, std::move(dims), values);
  }

  std::vector<float> random(int64_t n, float scale, float offset = 0.0f) {
    std::normal_distribution<float> normal(0.0f, scale);
    std::vector<float> v(n);
    for (float& x : v) x = offset + normal(rng_);
    return v;
  }
  float noise(float scale) { return std::normal_distribution<float>(0.0f, scale)(rng_); }

  Graph& graph() { return *model_.graph; }
  Model& model() { return model_; }

 private:
  Model model_;
  std::mt19937 rng_;
};

// `c` channels (a multiple of 4), `size` x `size` images.
Model buildDemoModel(int64_t c, int64_t size) {
  DemoBuilder b;
  Value* x = b.input("image", {1, 3, size, size});
  auto dense = [&](int64_t, int64_t, int64_t) { return b.noise(0.2f); };
  x = b.op("Relu", "stem_relu", {b.batchNorm("stem_bn", b.conv("stem", x, 3, c, 3, 2, dense), c)});

  // Contiguous blocks of c/2 channels: a grouped conv (g=2) stored densely.
  auto blocks = [&](int64_t o, int64_t i, int64_t) { return o / (c / 2) == i / (c / 2) ? b.noise(0.2f) : 0.0f; };
  x = b.op("Relu", "blockdiag_relu", {b.conv("blockdiag", x, c, c, 3, 1, blocks)});
  // Two groups interleaved by channel parity: block-diagonal after a permutation.
  auto parity = [&](int64_t o, int64_t i, int64_t) { return o % 2 == i % 2 ? b.noise(0.2f) : 0.0f; };
  x = b.op("Relu", "permuted_relu", {b.conv("permuted", x, c, c, 1, 1, parity)});
  // A depthwise 3x3 stored as a dense conv.
  auto diagonal = [&](int64_t o, int64_t i, int64_t) { return o == i ? b.noise(0.3f) : 0.0f; };
  x = b.op("Relu", "diagonal_relu", {b.conv("diagonal", x, c, c, 3, 1, diagonal)});
  // A depthwise 3x3 (D) followed by a pointwise 32->64 (P), merged: W[o,i] = P[o,i] * D[i].
  std::vector<float> depthwise = b.random(c * 9, 0.3f), pointwise = b.random(2 * c * c, 0.3f);
  auto merged = [&](int64_t o, int64_t i, int64_t s) { return pointwise[o * c + i] * depthwise[i * 9 + s]; };
  x = b.op("Relu", "merged_relu", {b.batchNorm("merged_bn", b.conv("merged", x, c, 2 * c, 3, 2, merged), 2 * c)});

  // Split -> 4 convs -> Concat: one grouped conv (g=4) written out by hand.
  Value* sizes = b.graph().addInitializer([c] {
    Tensor t = Tensor::fromVector<int64_t>(DType::Int64, {4}, {c / 2, c / 2, c / 2, c / 2});
    t.name = "split.sizes";
    return t;
  }());
  Node* split = b.node("Split", "split", {x, sizes}, {"split.0", "split.1", "split.2", "split.3"});
  split->setAttribute(Attribute::makeInt("axis", 1));
  std::vector<Value*> branches;
  for (int g = 0; g < 4; ++g)
    branches.push_back(b.conv(fmt::format("branch{}", g), split->output(g), c / 2, c / 2, 3, 1, dense));
  Node* concat = b.node("Concat", "concat", branches, {"concat.out"});
  concat->setAttribute(Attribute::makeInt("axis", 1));
  x = b.op("Relu", "concat_relu", {concat->output(0)});

  x = b.op("GlobalAveragePool", "pool", {x});
  x = b.op("Flatten", "flatten", {x});
  Value* fcWeight = b.constant("fc.weight", {10, 2 * c}, b.random(10 * 2 * c, 0.2f));
  Value* fcBias = b.constant("fc.bias", {10}, b.random(10, 0.1f));
  Node* fc = b.node("Gemm", "fc", {x, fcWeight, fcBias}, {"logits"});
  fc->setAttribute(Attribute::makeInt("transB", 1));
  b.graph().markOutput(fc->output(0));
  b.graph().findValue("logits")->type = ValueType::tensor(DType::Float, {1, 10});
  return std::move(b.model());
}

}  // namespace

int main(int argc, char** argv) {
  // make_demo_model OUT [CHANNELS SIZE]: the defaults make models/demo.onnx; a
  // smaller one seeds the fuzz targets (scripts/dev/make_fuzz_seeds.sh).
  if (argc != 2 && argc != 4) {
    fmt::print(stderr,
               "usage: make_demo_model OUT.onnx [CHANNELS SIZE]   (defaults 32 64; CHANNELS a multiple of 4)\n");
    return 2;
  }
  int64_t channels = argc == 4 ? std::atoll(argv[2]) : 32, size = argc == 4 ? std::atoll(argv[3]) : 64;
  if (channels < 4 || channels % 4 != 0 || size < 4) {
    fmt::print(stderr, "make_demo_model: CHANNELS must be a positive multiple of 4 and SIZE at least 4\n");
    return 2;
  }
  saveModel(buildDemoModel(channels, size), argv[1]);
  return 0;
}
