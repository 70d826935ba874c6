#include "codegen/epilogue.h"

#include <fmt/format.h>

namespace convopt::codegen {

int Epilogue::residualCount() const {
  int count = 0;
  for (const EpilogueStep& step : steps) count += step.kind == EpilogueStep::Kind::AddResidual;
  return count;
}

std::string activationName(Activation activation) {
  switch (activation) {
    case Activation::Relu: return "relu";
    case Activation::Clip: return "clip";
    case Activation::HardSigmoid: return "hardsigmoid";
    case Activation::HardSwish: return "hardswish";
    case Activation::Sigmoid: return "sigmoid";
    case Activation::SiLU: return "silu";
    case Activation::LeakyRelu: return "leakyrelu";
  }
  return "?";
}

std::string Epilogue::describe() const {
  std::string text;
  for (const EpilogueStep& step : steps) {
    if (!text.empty()) text += "+";
    if (step.kind == EpilogueStep::Kind::AddResidual) {
      text += "add";
    } else {
      text += activationName(step.activation);
      if (step.activation == Activation::Clip) text += fmt::format("[{},{}]", step.alpha, step.beta);
    }
  }
  return text;
}

void ChannelAffine::applyToWeights(std::vector<float>& weights) const {
  const size_t perChannel = weights.size() / scale.size();
  for (size_t i = 0; i < weights.size(); ++i) weights[i] *= scale[i / perChannel];
}

std::vector<float> ChannelAffine::applyToBias(std::span<const float> bias) const {
  std::vector<float> folded(shift);
  for (size_t c = 0; c < folded.size(); ++c) folded[c] += (bias.empty() ? 0.0f : bias[c]) * scale[c];
  return folded;
}

}  // namespace convopt::codegen
