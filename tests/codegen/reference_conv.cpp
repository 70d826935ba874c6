#include "reference_conv.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "ir/onnx_io.h"
#include "runtime/reference/interpreter.h"

namespace convopt::codegen::testing {

namespace {

// ONNX node(s) computing `step` from `x` into `y`; extra inputs go to `inputs`.
std::string stepNodes(const EpilogueStep& step, const std::string& x, const std::string& y, int& residual) {
  if (step.kind == EpilogueStep::Kind::AddResidual) return fmt::format("{} = Add ({}, r{})\n", y, x, residual++);
  switch (step.activation) {
    case Activation::Relu:
      return fmt::format("{} = Relu ({})\n", y, x);
    case Activation::Clip:
      return fmt::format("{} = Clip ({}, clip_min, clip_max)\n", y, x);
    case Activation::HardSigmoid:
      return fmt::format("{} = HardSigmoid <alpha = {}, beta = {}> ({})\n", y, step.alpha, step.beta, x);
    case Activation::HardSwish:
      return fmt::format("{} = HardSwish ({})\n", y, x);
    case Activation::Sigmoid:
      return fmt::format("{} = Sigmoid ({})\n", y, x);
    case Activation::SiLU:
      return fmt::format("{0}_s = Sigmoid ({1})\n{0} = Mul ({1}, {0}_s)\n", y, x);
    case Activation::LeakyRelu:
      return fmt::format("{} = LeakyRelu <alpha = {}> ({})\n", y, step.alpha, x);
    case Activation::Tanh:
      return fmt::format("{} = Tanh ({})\n", y, x);
    case Activation::Elu:
      return fmt::format("{} = Elu <alpha = {}> ({})\n", y, step.alpha, x);
    case Activation::Softplus:
      return fmt::format("{} = Softplus ({})\n", y, x);
    case Activation::Mish:
      return fmt::format("{} = Mish ({})\n", y, x);
    case Activation::Selu:
      return fmt::format("{} = Selu <alpha = {}, gamma = {}> ({})\n", y, step.alpha, step.beta, x);
    case Activation::Gelu:
    case Activation::GeluTanh:
      return fmt::format("{} = Gelu <approximate = \"{}\"> ({})\n", y,
                         step.activation == Activation::Gelu ? "none" : "tanh", x);
  }
  return "";
}

ir::Tensor tensor(const std::string& name, std::vector<int64_t> dims, const std::vector<float>& values) {
  ir::Tensor t = ir::Tensor::fromVector(ir::DType::Float, std::move(dims), values);
  t.name = name;
  return t;
}

}  // namespace

std::vector<float> referenceConv(const ConvSpec& s, const ConvData& data) {
  std::vector<int64_t> in = {s.batch, s.inChannels, s.inHeight, s.inWidth};
  std::vector<int64_t> out = {s.batch, s.outChannels, s.outHeight, s.outWidth};
  std::vector<int64_t> w = {s.outChannels, s.inPerGroup(), s.kernelH, s.kernelW};
  runtime::TensorMap inputs = {{"x", tensor("x", in, data.input)},
                               {"w", tensor("w", w, data.weights)},
                               {"b", tensor("b", {s.outChannels}, data.bias)}};
  std::string declared =
      fmt::format("float[{}] x, float[{}] w, float[{}] b", fmt::join(in, ","), fmt::join(w, ","), s.outChannels);
  std::string nodes = fmt::format(
      "y0 = Conv <group = {}, strides = [{},{}], dilations = [{},{}], pads = [{},{},{},{}]> (x, w, b)\n", s.group,
      s.strideH, s.strideW, s.dilationH, s.dilationW, s.padTop, s.padLeft, s.padBottom, s.padRight);
  int residual = 0;
  for (size_t i = 0; i < s.epilogue.steps.size(); ++i) {
    const EpilogueStep& step = s.epilogue.steps[i];
    if (step.kind == EpilogueStep::Kind::AddResidual) {
      std::string name = fmt::format("r{}", residual);
      declared += fmt::format(", float[{}] {}", fmt::join(out, ","), name);
      inputs[name] = tensor(name, out, data.residuals[residual]);
    }
    if (step.activation == Activation::Clip && step.kind == EpilogueStep::Kind::Activate) {
      declared += ", float clip_min, float clip_max";
      inputs["clip_min"] = tensor("clip_min", {}, {step.alpha});
      inputs["clip_max"] = tensor("clip_max", {}, {step.beta});
    }
    nodes += stepNodes(step, fmt::format("y{}", i), fmt::format("y{}", i + 1), residual);
  }
  bool recent = std::any_of(s.epilogue.steps.begin(), s.epilogue.steps.end(), [](const EpilogueStep& step) {
    return step.activation == Activation::Gelu || step.activation == Activation::GeluTanh ||
           step.activation == Activation::Mish;  // opsets 20 and 18
  });
  std::string text = fmt::format("<ir_version: 8, opset_import: [\"\" : {}]>\ng ({}) => (float[{}] y{})\n{{\n{}}}\n",
                                 recent ? 20 : 14, declared, fmt::join(out, ","), s.epilogue.steps.size(), nodes);
  ir::Model model = ir::parseModelText(text);
  runtime::TensorMap outputs = runtime::runReference(model, inputs);
  auto values = outputs.begin()->second.data<float>();
  return {values.begin(), values.end()};
}

}  // namespace convopt::codegen::testing
