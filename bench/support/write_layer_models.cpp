// write_layer_models DIR: one single-Conv ONNX model per layer of the table
// (tests/support/conv_layers.cpp: DIR/NAME.onnx, random weights, no bias), for
// running the same layers in onnxruntime (scripts/bench/compare_onnxruntime.sh);
// prints "NAME 1xCxHxW" per layer, the input shape onnxruntime is given.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <filesystem>
#include <random>

#include "ir/onnx_io.h"
#include "tests/support/conv_layers.h"

int main(int argc, char** argv) {
  using namespace convopt;
  if (argc != 2) {
    fmt::print(stderr, "usage: write_layer_models DIR\n");
    return 2;
  }
  std::filesystem::create_directories(argv[1]);
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> uniform(-1, 1);
  for (const layers::Layer& layer : layers::layerTable()) {
    codegen::ConvSpec s = layers::specOf(layer);
    std::vector<float> weights(s.outChannels * s.inPerGroup() * s.kernelH * s.kernelW);
    for (float& v : weights) v = uniform(rng);
    std::string text = fmt::format(
        "<ir_version: 8, opset_import: [\"\" : 13]>\n"
        "g (float[1,{},{},{}] x) => (float[1,{},{},{}] y)\n<float[{},{},{},{}] w = {{{}}}>\n"
        "{{\n  y = Conv <group = {}, strides = [{},{}], pads = [{},{},{},{}]> (x, w)\n}}\n",
        s.inChannels, s.inHeight, s.inWidth, s.outChannels, s.outHeight, s.outWidth, s.outChannels, s.inPerGroup(),
        s.kernelH, s.kernelW, fmt::join(weights, ", "), s.group, s.strideH, s.strideW, s.padTop, s.padLeft, s.padBottom,
        s.padRight);
    ir::Model model = ir::parseModelText(text);
    ir::saveModel(model, std::filesystem::path(argv[1]) / (layer.name + ".onnx"));
    fmt::print("{} 1x{}x{}x{}\n", layer.name, s.inChannels, s.inHeight, s.inWidth);
  }
  return 0;
}
