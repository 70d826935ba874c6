#include "codegen/builder/epilogue.h"

#include <fmt/format.h>

namespace convopt::codegen {

int Epilogue::residualCount() const {
  int count = 0;
  for (const EpilogueStep& step : steps) count += step.kind == EpilogueStep::Kind::AddResidual;
  return count;
}

std::string activationName(Activation activation) {
  switch (activation) {
    case Activation::Relu:
      return "relu";
    case Activation::Clip:
      return "clip";
    case Activation::HardSigmoid:
      return "hardsigmoid";
    case Activation::HardSwish:
      return "hardswish";
    case Activation::Sigmoid:
      return "sigmoid";
    case Activation::SiLU:
      return "silu";
    case Activation::LeakyRelu:
      return "leakyrelu";
    case Activation::Tanh:
      return "tanh";
    case Activation::Gelu:
      return "gelu";
    case Activation::GeluTanh:
      return "gelu_tanh";
    case Activation::Elu:
      return "elu";
    case Activation::Selu:
      return "selu";
    case Activation::Softplus:
      return "softplus";
    case Activation::Mish:
      return "mish";
  }
  return "?";
}

std::string Epilogue::describe() const {
  std::string text;
  for (const EpilogueStep& step : steps) {
    if (!text.empty()) text += "+";
    if (step.kind == EpilogueStep::Kind::AddResidual) {
      text += "add";
    } else if (step.kind == EpilogueStep::Kind::Affine) {
      text += step.perChannel() ? "affine" : fmt::format("affine[{},{}]", step.scale[0], step.shift[0]);
    } else {
      text += activationName(step.activation);
      if (step.activation == Activation::Clip) text += fmt::format("[{},{}]", step.alpha, step.beta);
    }
  }
  return text;
}

}  // namespace convopt::codegen
