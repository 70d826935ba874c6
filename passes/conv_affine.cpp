#include "passes/conv_affine.h"

namespace convopt::passes {

void foldAffineIntoConv(ir::Graph& graph, const ConstantConv& conv, const std::vector<float>& scale,
                        const std::vector<float>& shift) {
  std::span<const float> w = conv.weight->data<float>();
  size_t perChannel = w.size() / static_cast<size_t>(conv.outChannels);
  std::vector<float> weight(w.begin(), w.end());
  std::vector<float> bias(static_cast<size_t>(conv.outChannels), 0.0f);
  if (conv.bias) std::copy(conv.bias->data<float>().begin(), conv.bias->data<float>().end(), bias.begin());
  for (size_t o = 0; o < bias.size(); ++o) {
    for (size_t k = 0; k < perChannel; ++k) weight[o * perChannel + k] *= scale[o];
    bias[o] = bias[o] * scale[o] + shift[o];
  }
  ir::Node& node = *conv.node;
  std::string base = node.name.empty() ? node.output(0)->name() : node.name;
  node.setInput(1, addFloatInitializer(graph, base + "_W_folded", conv.weight->dims(), weight));
  node.setInput(2, addFloatInitializer(graph, base + "_B_folded", {conv.outChannels}, bias));
}

}  // namespace convopt::passes
