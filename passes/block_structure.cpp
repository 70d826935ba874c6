#include "passes/block_structure.h"

#include <algorithm>
#include <map>
#include <numeric>

namespace convopt::passes {
namespace {

// nonzero[o * C_in + i]: some W[o, i, :] != 0.
std::vector<bool> nonzeroPattern(const ConstantConv& conv) {
  std::span<const float> w = conv.weight->data<float>();
  int64_t cin = conv.inPerGroup;
  std::vector<bool> pattern(static_cast<size_t>(conv.outChannels * cin), false);
  for (size_t e = 0; e < w.size(); ++e)
    if (w[e] != 0.0f) pattern[e / static_cast<size_t>(conv.kernelElements)] = true;
  return pattern;
}

bool isBlockDiagonal(const std::vector<bool>& nonzero, int64_t cout, int64_t cin, int64_t groups) {
  int64_t outPer = cout / groups, inPer = cin / groups;
  for (int64_t o = 0; o < cout; ++o)
    for (int64_t i = 0; i < cin; ++i)
      if (nonzero[o * cin + i] && o / outPer != i / inPer) return false;
  return true;
}

std::vector<int64_t> identityOrder(int64_t n) {
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  return order;
}

int64_t findRoot(std::vector<int64_t>& parent, int64_t x) {
  while (parent[x] != x) x = parent[x] = parent[parent[x]];
  return x;
}

// Components of the bipartite graph (nodes 0..cout-1 outputs, cout.. inputs);
// a structure when they all have the same input and output counts.
BlockStructure componentStructure(const std::vector<bool>& nonzero, int64_t cout, int64_t cin) {
  std::vector<int64_t> parent = identityOrder(cout + cin);
  for (int64_t o = 0; o < cout; ++o)
    for (int64_t i = 0; i < cin; ++i)
      if (nonzero[o * cin + i]) parent[findRoot(parent, o)] = findRoot(parent, cout + i);
  std::map<int64_t, std::pair<std::vector<int64_t>, std::vector<int64_t>>> components;  // by smallest output
  std::vector<int64_t> rootKey(static_cast<size_t>(cout + cin), -1);
  for (int64_t o = 0; o < cout; ++o) {
    int64_t root = findRoot(parent, o);
    if (rootKey[root] < 0) rootKey[root] = o;
    components[rootKey[root]].first.push_back(o);
  }
  for (int64_t i = 0; i < cin; ++i) {
    int64_t root = findRoot(parent, cout + i);
    if (rootKey[root] < 0) return {};  // an input channel nothing reads: unequal component
    components[rootKey[root]].second.push_back(i);
  }
  BlockStructure s;
  s.groups = static_cast<int64_t>(components.size());
  if (s.groups < 2 || cout % s.groups != 0 || cin % s.groups != 0) return {};
  for (const auto& [key, members] : components) {
    if (static_cast<int64_t>(members.first.size()) != cout / s.groups ||
        static_cast<int64_t>(members.second.size()) != cin / s.groups)
      return {};
    s.outOrder.insert(s.outOrder.end(), members.first.begin(), members.first.end());
    s.inOrder.insert(s.inOrder.end(), members.second.begin(), members.second.end());
  }
  s.contiguous = s.outOrder == identityOrder(cout) && s.inOrder == identityOrder(cin);
  return s;
}

}  // namespace

BlockStructure findBlockStructure(const ConstantConv& conv) {
  int64_t cout = conv.outChannels, cin = conv.inPerGroup;
  std::vector<bool> nonzero = nonzeroPattern(conv);
  for (int64_t g = std::gcd(cout, cin); g > 1; --g) {
    if (cout % g != 0 || cin % g != 0 || !isBlockDiagonal(nonzero, cout, cin, g)) continue;
    return {g, identityOrder(cin), identityOrder(cout), true};
  }
  BlockStructure permuted = componentStructure(nonzero, cout, cin);
  if (permuted.groups > 1) return permuted;
  return {1, identityOrder(cin), identityOrder(cout), true};
}

std::vector<float> groupedWeight(const ConstantConv& conv, const BlockStructure& blocks) {
  std::span<const float> w = conv.weight->data<float>();
  int64_t cin = conv.inPerGroup, k = conv.kernelElements;
  int64_t outPer = conv.outChannels / blocks.groups, inPer = cin / blocks.groups;
  std::vector<float> grouped(static_cast<size_t>(conv.outChannels * inPer * k));
  for (int64_t j = 0; j < conv.outChannels; ++j) {
    int64_t o = blocks.outOrder[j], block = j / outPer;
    for (int64_t l = 0; l < inPer; ++l) {
      int64_t i = blocks.inOrder[block * inPer + l];
      std::copy_n(w.begin() + (o * cin + i) * k, k, grouped.begin() + (j * inPer + l) * k);
    }
  }
  return grouped;
}

double groupedReconstructionError(const ConstantConv& conv, const BlockStructure& blocks,
                                  const std::vector<float>& grouped) {
  std::span<const float> w = conv.weight->data<float>();
  int64_t cin = conv.inPerGroup, k = conv.kernelElements;
  int64_t outPer = conv.outChannels / blocks.groups, inPer = cin / blocks.groups;
  std::vector<double> original(w.begin(), w.end());
  std::vector<double> rebuilt(w.size(), 0.0);
  for (int64_t j = 0; j < conv.outChannels; ++j) {
    int64_t o = blocks.outOrder[j], block = j / outPer;
    for (int64_t l = 0; l < inPer; ++l) {
      int64_t i = blocks.inOrder[block * inPer + l];
      for (int64_t e = 0; e < k; ++e) rebuilt[(o * cin + i) * k + e] = grouped[(j * inPer + l) * k + e];
    }
  }
  return relativeMaxError(original, rebuilt);
}

}  // namespace convopt::passes
