#include "passes/block_structure.h"

#include <algorithm>
#include <functional>
#include <map>
#include <numeric>
#include <set>

namespace convopt::passes {
namespace {

// The first of the C_in input channels that output channel o's group reads.
int64_t firstInputOf(const ConstantConv& conv, int64_t o) {
  return o / (conv.outChannels / conv.group) * conv.inPerGroup;
}

// Where W[o, i, :] starts in the conv's weight, for i among all C_in input
// channels; -1 when i is outside o's group (a zero of the grouped conv).
int64_t weightOffset(const ConstantConv& conv, int64_t o, int64_t i) {
  int64_t first = firstInputOf(conv, o);
  if (i < first || i >= first + conv.inPerGroup) return -1;
  return (o * conv.inPerGroup + i - first) * conv.kernelElements;
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

// A connected component of the bipartite graph: its output and input channels
// (either may be empty: a zero output row, an input channel nothing reads).
struct Component {
  std::vector<int64_t> outs, ins;
};

// Components of the bipartite graph (nodes 0..cout-1 outputs, cout.. inputs), in
// the order of their first channel: joined through the weight's nonzeros, so
// in time and memory of the weight's size and the channels, whatever the group.
std::vector<Component> componentsOf(const ConstantConv& conv) {
  int64_t cout = conv.outChannels, cin = conv.inChannels();
  std::span<const float> w = conv.weight->data<float>();
  std::vector<int64_t> parent = identityOrder(cout + cin);
  for (size_t e = 0; e < w.size(); ++e) {
    if (w[e] == 0.0f) continue;
    int64_t row = int64_t(e) / conv.kernelElements, o = row / conv.inPerGroup;
    int64_t i = firstInputOf(conv, o) + row % conv.inPerGroup;
    parent[findRoot(parent, o)] = findRoot(parent, cout + i);
  }
  std::map<int64_t, Component> byRoot;
  std::vector<int64_t> firstSeen;
  for (int64_t node = 0; node < cout + cin; ++node) {
    int64_t root = findRoot(parent, node);
    if (!byRoot.count(root)) firstSeen.push_back(root);
    (node < cout ? byRoot[root].outs : byRoot[root].ins).push_back(node < cout ? node : node - cout);
  }
  std::vector<Component> components;
  for (int64_t root : firstSeen) components.push_back(std::move(byRoot[root]));
  return components;
}

// Whether `groups` contiguous blocks hold whole components (the weight is then
// block-diagonal: no nonzero joins two blocks).
bool isContiguous(const std::vector<Component>& components, int64_t cout, int64_t cin, int64_t groups) {
  int64_t outPer = cout / groups, inPer = cin / groups;
  return std::all_of(components.begin(), components.end(), [&](const Component& c) {
    int64_t block = c.outs.empty() ? c.ins[0] / inPer : c.outs[0] / outPer;
    return std::all_of(c.outs.begin(), c.outs.end(), [&](int64_t o) { return o / outPer == block; }) &&
           std::all_of(c.ins.begin(), c.ins.end(), [&](int64_t i) { return i / inPer == block; });
  });
}

// The search recurses once per component: beyond this many (of unequal
// sizes) it is not tried, so that its depth stays within any thread's stack.
constexpr size_t kMaxSearchedComponents = 4096;

// The group of each component such that every group holds exactly outPer
// outputs and inPer inputs, or empty when none is found. Components all of
// one size make one group each when there are `groups` of them; otherwise a
// depth-first search, largest components first, groups with the same room
// left tried once per component, within the steps left in `budget` (shared by
// the caller's tries).
std::vector<int64_t> packIntoGroups(const std::vector<Component>& components, int64_t groups, int64_t outPer,
                                    int64_t inPer, int64_t& budget) {
  std::vector<int64_t> groupOf(components.size(), -1);
  auto sizeOf = [](const Component& c) { return std::pair{c.outs.size(), c.ins.size()}; };
  if (size_t(groups) == components.size() && std::all_of(components.begin(), components.end(), [&](const Component& c) {
        return sizeOf(c) == sizeOf(components[0]);
      })) {
    std::iota(groupOf.begin(), groupOf.end(), int64_t(0));
    return groupOf;
  }
  if (components.size() > kMaxSearchedComponents) return {};
  std::vector<size_t> order(components.size());
  std::iota(order.begin(), order.end(), size_t(0));
  auto size = [&](size_t c) { return components[c].outs.size() + components[c].ins.size(); };
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return size(a) > size(b); });
  std::vector<int64_t> outLeft(static_cast<size_t>(groups), outPer), inLeft(static_cast<size_t>(groups), inPer);
  std::function<bool(size_t)> place = [&](size_t next) {
    if (next == order.size()) return true;
    if (--budget < 0) return false;
    const Component& c = components[order[next]];
    int64_t outs = int64_t(c.outs.size()), ins = int64_t(c.ins.size());
    std::set<std::pair<int64_t, int64_t>> tried;  // groups with the same room left are alike
    for (int64_t g = 0; g < groups; ++g) {
      if (outLeft[g] < outs || inLeft[g] < ins || !tried.insert({outLeft[g], inLeft[g]}).second) continue;
      outLeft[g] -= outs, inLeft[g] -= ins, groupOf[order[next]] = g;
      if (place(next + 1)) return true;
      outLeft[g] += outs, inLeft[g] += ins;
    }
    return false;
  };
  return place(0) ? groupOf : std::vector<int64_t>{};
}

// The most groups, more than `above`, the components pack into (each group
// then holds whole components, its weight block zero between them); channels
// in each group in their original order, groups by their first output channel.
// groups == 1 when there are none.
BlockStructure componentStructure(const std::vector<Component>& components, int64_t cout, int64_t cin, int64_t above) {
  BlockStructure none{1, identityOrder(cin), identityOrder(cout), true};
  if (components.size() < 2) return none;
  int64_t budget = 100000;  // search steps for all the group counts together
  for (int64_t g = std::gcd(cout, cin); g > above && budget > 0; --g) {
    int64_t outPer = cout / g, inPer = cin / g;
    if (cout % g != 0 || cin % g != 0 || std::any_of(components.begin(), components.end(), [&](const Component& c) {
          return int64_t(c.outs.size()) > outPer || int64_t(c.ins.size()) > inPer;
        }))
      continue;
    std::vector<int64_t> groupOf = packIntoGroups(components, g, outPer, inPer, budget);
    if (groupOf.empty()) continue;
    std::vector<std::vector<int64_t>> outs(static_cast<size_t>(g)), ins(static_cast<size_t>(g));
    for (size_t c = 0; c < components.size(); ++c) {
      outs[groupOf[c]].insert(outs[groupOf[c]].end(), components[c].outs.begin(), components[c].outs.end());
      ins[groupOf[c]].insert(ins[groupOf[c]].end(), components[c].ins.begin(), components[c].ins.end());
    }
    std::vector<size_t> groupOrder(static_cast<size_t>(g));
    std::iota(groupOrder.begin(), groupOrder.end(), size_t(0));
    for (auto* channels : {&outs, &ins})
      for (std::vector<int64_t>& group : *channels) std::sort(group.begin(), group.end());
    std::sort(groupOrder.begin(), groupOrder.end(), [&](size_t a, size_t b) { return outs[a][0] < outs[b][0]; });
    BlockStructure s;
    s.groups = g;
    for (size_t group : groupOrder) {
      s.outOrder.insert(s.outOrder.end(), outs[group].begin(), outs[group].end());
      s.inOrder.insert(s.inOrder.end(), ins[group].begin(), ins[group].end());
    }
    s.contiguous = s.outOrder == identityOrder(cout) && s.inOrder == identityOrder(cin);
    return s;
  }
  return none;
}

}  // namespace

BlockSearch findBlockStructures(const ConstantConv& conv) {
  int64_t cout = conv.outChannels, cin = conv.inChannels();
  std::vector<Component> components = componentsOf(conv);
  int64_t contiguous = conv.group;
  for (int64_t g = std::gcd(cout, cin); g > conv.group && contiguous == conv.group; --g)
    if (cout % g == 0 && cin % g == 0 && isContiguous(components, cout, cin, g)) contiguous = g;
  BlockSearch search;
  search.blocks = int64_t(components.size());
  BlockStructure permuted = componentStructure(components, cout, cin, contiguous);
  if (permuted.groups > contiguous) search.candidates.push_back(std::move(permuted));
  if (contiguous > conv.group) search.candidates.push_back({contiguous, identityOrder(cin), identityOrder(cout), true});
  return search;
}

std::vector<float> groupedWeight(const ConstantConv& conv, const BlockStructure& blocks) {
  std::span<const float> w = conv.weight->data<float>();
  int64_t k = conv.kernelElements;
  int64_t outPer = conv.outChannels / blocks.groups, inPer = conv.inChannels() / blocks.groups;
  std::vector<float> grouped(static_cast<size_t>(conv.outChannels * inPer * k), 0.0f);
  for (int64_t j = 0; j < conv.outChannels; ++j) {
    int64_t o = blocks.outOrder[j], block = j / outPer;
    for (int64_t l = 0; l < inPer; ++l) {
      int64_t from = weightOffset(conv, o, blocks.inOrder[block * inPer + l]);
      if (from >= 0) std::copy_n(w.begin() + from, k, grouped.begin() + (j * inPer + l) * k);
    }
  }
  return grouped;
}

double groupedReconstructionError(const ConstantConv& conv, const BlockStructure& blocks,
                                  const std::vector<float>& grouped) {
  std::span<const float> w = conv.weight->data<float>();
  int64_t k = conv.kernelElements;
  int64_t outPer = conv.outChannels / blocks.groups, inPer = conv.inChannels() / blocks.groups;
  std::vector<double> original(w.begin(), w.end());
  std::vector<double> rebuilt(w.size(), 0.0);
  for (int64_t j = 0; j < conv.outChannels; ++j) {
    int64_t o = blocks.outOrder[j], block = j / outPer;
    for (int64_t l = 0; l < inPer; ++l) {
      int64_t from = weightOffset(conv, o, blocks.inOrder[block * inPer + l]);
      if (from < 0) continue;  // outside the conv's groups: zero in both
      for (int64_t e = 0; e < k; ++e) rebuilt[from + e] = grouped[(j * inPer + l) * k + e];
    }
  }
  return relativeMaxError(original, rebuilt);
}

}  // namespace convopt::passes
