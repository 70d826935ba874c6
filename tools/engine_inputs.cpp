#include "tools/engine_inputs.h"

#include <random>

#include "ir/error.h"
#include "ir/shape_inference.h"

namespace convopt::tools {

std::map<std::string, std::vector<int64_t>> engineInputShapes(ir::Model& model, const std::vector<std::string>& specs) {
  for (const std::string& spec : specs) ir::applyInputShape(model, spec);
  std::map<std::string, std::vector<int64_t>> shapes;
  for (const ir::Value* input : model.graph->inputs()) {
    if (input->isInitializer()) continue;
    if (!input->type.hasStaticShape())
      throwInputError("input '{}' has dynamic dims: give them with --input-shape {}=D0xD1x...", input->name(), input->name());
    shapes[input->name()] = input->type.staticShape();
  }
  return shapes;
}

runtime::TensorMap randomEngineInputs(const ir::Model& model, const std::map<std::string, std::vector<int64_t>>& shapes,
                                      uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  runtime::TensorMap inputs;
  for (const auto& [name, dims] : shapes) {
    ir::Tensor tensor(model.graph->findValue(name)->type.dtype, dims);
    if (tensor.dtype() == ir::DType::Float)
      for (float& v : tensor.data<float>()) v = uniform(rng);
    tensor.name = name;
    inputs[name] = std::move(tensor);
  }
  return inputs;
}

}  // namespace convopt::tools
