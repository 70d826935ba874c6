// Single-conv models with planted exact structure, over a table of layer
// shapes: the candidates on which the cost model's decisions are close
// (narrow or wide groups, permutations that need Gathers, high ranks, small
// and large maps), beside the shared models' own (bench/cost_model_check.cpp).
//   grouped_*    block-diagonal weight, contiguous or channel-permuted blocks
//   diagonal_*   channel-diagonal weight (a depthwise conv stored densely)
//   lowrank_*    per-input-channel rank-r kxk kernels (depthwise x r + pointwise)
//   split_*      Split -> n Convs -> Concat
// x [1, C, side, side] is the graph input; a Relu follows the structured conv,
// so a permuted rewrite keeps its Gathers (nothing to fold them into).
#pragma once
#include <string>
#include <vector>

#include "ir/graph.h"

namespace convopt::bench {

struct SweepModel {
  std::string name;
  ir::Model model;
};

std::vector<SweepModel> candidateSweep();

}  // namespace convopt::bench
