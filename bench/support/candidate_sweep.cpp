#include "bench/support/candidate_sweep.h"

#include <fmt/format.h>

#include <functional>
#include <random>

#include "ir/graph_building.h"

namespace convopt::bench {
namespace {

using WeightAt = std::function<float(int64_t o, int64_t i, int64_t s)>;  // s: flat kernel index

class SweepBuilder {
 public:
  SweepBuilder(int64_t channels, int64_t side) : rng_(7) {
    model_.opsets = {{"", 13}};
    model_.irVersion = 8;
    current_ = model_.graph->addInput("x", ir::ValueType::tensor(ir::DType::Float, {1, channels, side, side}));
  }

  float noise() { return std::normal_distribution<float>(0.f, 0.1f)(rng_); }

  // A conv of `in` -> `out` channels over `input` (default: the chain's end).
  ir::Value* conv(int64_t in, int64_t out, int64_t kernel, const WeightAt& at, ir::Value* input = nullptr) {
    std::vector<float> w;
    for (int64_t o = 0; o < out; ++o)
      for (int64_t i = 0; i < in; ++i)
        for (int64_t s = 0; s < kernel * kernel; ++s) w.push_back(at(o, i, s));
    ir::Value* weights = constant({out, in, kernel, kernel}, w);
    return current_ = ir::addSquareConv(*model_.graph, input ? input : current_, weights, constant({out}, bias(out)),
                                        model_.graph->uniqueName("c"))
                          ->output(0);
  }

  ir::Node* node(const std::string& op, const std::vector<ir::Value*>& inputs, int outputs = 1) {
    std::vector<std::string> names;
    for (int i = 0; i < outputs; ++i) names.push_back(model_.graph->uniqueName(fmt::format("t{}_", i)));
    ir::Node* n = model_.graph->createNode(op, inputs, names);
    current_ = n->output(0);
    return n;
  }

  ir::Value* current() const { return current_; }

  ir::Model finish() {
    node("Relu", {current_});
    model_.graph->markOutput(current_);
    return std::move(model_);
  }

 private:
  std::vector<float> bias(int64_t n) {
    std::vector<float> b;
    for (int64_t i = 0; i < n; ++i) b.push_back(noise());
    return b;
  }
  ir::Value* constant(std::vector<int64_t> dims, const std::vector<float>& values) {
    return ir::addFloatInitializer(*model_.graph, model_.graph->uniqueName("w"), std::move(dims), values);
  }

  std::mt19937 rng_;
  ir::Model model_;
  ir::Value* current_ = nullptr;
};

ir::Model grouped(int64_t c, int64_t groups, int64_t k, int64_t side, bool permuted) {
  SweepBuilder b(c, side);
  auto block = [&](int64_t channel) { return permuted ? channel % groups : channel / (c / groups); };
  b.conv(c, c, k, [&](int64_t o, int64_t i, int64_t) { return block(o) == block(i) ? b.noise() : 0.f; });
  return b.finish();
}

ir::Model diagonal(int64_t c, int64_t k, int64_t side) {
  SweepBuilder b(c, side);
  b.conv(c, c, k, [&](int64_t o, int64_t i, int64_t) { return o == i ? b.noise() : 0.f; });
  return b.finish();
}

// W[o, i, s] = sum_j P[o, i, j] K[i, j, s]: each input channel's kernels span r spatial kernels.
ir::Model lowRank(int64_t c, int64_t rank, int64_t k, int64_t side) {
  SweepBuilder b(c, side);
  std::vector<float> kernels, mix;
  for (int64_t n = 0; n < c * rank * k * k; ++n) kernels.push_back(b.noise());
  for (int64_t n = 0; n < c * c * rank; ++n) mix.push_back(b.noise());
  b.conv(c, c, k, [&](int64_t o, int64_t i, int64_t s) {
    float sum = 0;
    for (int64_t j = 0; j < rank; ++j) sum += mix[(o * c + i) * rank + j] * kernels[(i * rank + j) * k * k + s];
    return sum;
  });
  return b.finish();
}

ir::Model splitConcat(int64_t c, int64_t n, int64_t k, int64_t side) {
  SweepBuilder b(c, side);
  ir::Node* split = b.node("Split", {b.current()}, int(n));
  split->setAttribute(ir::Attribute::makeInt("axis", 1));
  std::vector<ir::Value*> branches;
  for (ir::Value* part : split->outputs())
    branches.push_back(b.conv(
        c / n, c / n, k, [&](int64_t, int64_t, int64_t) { return b.noise(); }, part));
  b.node("Concat", branches)->setAttribute(ir::Attribute::makeInt("axis", 1));
  return b.finish();
}

}  // namespace

std::vector<SweepModel> candidateSweep() {
  std::vector<SweepModel> sweep;
  for (int64_t side : {14, 56})
    for (int64_t c : {32, 128}) {
      for (int64_t k : {1, 3}) {
        for (int64_t g : {2, 8})
          for (bool permuted : {false, true})
            sweep.push_back({fmt::format("grouped_{}c{}_g{}_k{}_s{}", permuted ? "permuted_" : "", c, g, k, side),
                             grouped(c, g, k, side, permuted)});
        sweep.push_back({fmt::format("diagonal_c{}_k{}_s{}", c, k, side), diagonal(c, k, side)});
        for (int64_t n : {2, 8})
          sweep.push_back({fmt::format("split_c{}_n{}_k{}_s{}", c, n, k, side), splitConcat(c, n, k, side)});
      }
      for (int64_t rank : {1, 2, 4})  // a 3x3 kernel has rank 9 at most
        sweep.push_back({fmt::format("lowrank_c{}_r{}_k3_s{}", c, rank, side), lowRank(c, rank, 3, side)});
    }
  return sweep;
}

}  // namespace convopt::bench
