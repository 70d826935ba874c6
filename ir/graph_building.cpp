#include "ir/graph_building.h"

namespace convopt::ir {

Value* addFloatInitializer(Graph& graph, const std::string& name, std::vector<int64_t> dims,
                           const std::vector<float>& values) {
  Tensor tensor = Tensor::fromVector(DType::Float, std::move(dims), values);
  tensor.name = name;
  return graph.addInitializer(std::move(tensor));
}

Node* addSquareConv(Graph& graph, Value* input, Value* weight, Value* bias, const std::string& output, int64_t group,
                    int64_t stride) {
  std::vector<Value*> inputs = {input, weight};
  if (bias) inputs.push_back(bias);
  Node* conv = graph.createNode("Conv", inputs, {output});
  int64_t kernel = weight->initializer()->dims().at(3), pad = kernel / 2;
  if (group != 1) conv->setAttribute(Attribute::makeInt("group", group));
  conv->setAttribute(Attribute::makeInts("kernel_shape", {kernel, kernel}));
  conv->setAttribute(Attribute::makeInts("pads", {pad, pad, pad, pad}));
  conv->setAttribute(Attribute::makeInts("strides", {stride, stride}));
  return conv;
}

}  // namespace convopt::ir
