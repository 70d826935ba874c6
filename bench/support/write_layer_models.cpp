// write_layer_models DIR: one single-Conv ONNX model per layer of
// bench/layers.json (DIR/NAME.onnx, random weights, no bias), for running the
// same layers in onnxruntime (scripts/bench/compare_onnxruntime.sh).
#include <fmt/format.h>

#include <filesystem>
#include <random>

#include "bench/support/conv_bench.h"
#include "ir/onnx_io.h"

int main(int argc, char** argv) {
  using namespace convopt;
  if (argc != 2) {
    fmt::print(stderr, "usage: write_layer_models DIR\n");
    return 2;
  }
  std::filesystem::create_directories(argv[1]);
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> uniform(-1, 1);
  for (const bench::Layer& layer : bench::loadLayers()) {
    codegen::ConvSpec s = bench::specOf(layer);
    std::string text = fmt::format(
        "<ir_version: 8, opset_import: [\"\" : 13]>\n"
        "g (float[1,{},{},{}] x, float[{},{},{},{}] w) => (float[1,{},{},{}] y)\n"
        "{{\n  y = Conv <group = {}, strides = [{},{}], pads = [{},{},{},{}]> (x, w)\n}}\n",
        s.inChannels, s.inHeight, s.inWidth, s.outChannels, s.inPerGroup(), s.kernelH, s.kernelW, s.outChannels,
        s.outHeight, s.outWidth, s.group, s.strideH, s.strideW, s.padTop, s.padLeft, s.padBottom, s.padRight);
    ir::Model model = ir::parseModelText(text);
    ir::Value* w = model.graph->findValue("w");
    ir::Tensor weights(ir::DType::Float, w->type.staticShape());
    for (float& v : weights.data<float>()) v = uniform(rng);
    weights.name = "w";
    model.graph->setInitializer(w, weights);
    ir::saveModel(model, std::filesystem::path(argv[1]) / (layer.name + ".onnx"));
  }
  return 0;
}
