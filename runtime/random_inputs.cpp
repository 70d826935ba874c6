#include "runtime/random_inputs.h"

#include <random>

#include <fmt/ranges.h>

#include "ir/error.h"
#include "ir/memory_limit.h"

namespace convopt::runtime {

std::vector<int64_t> concreteInputShape(const ir::Value& input, const RandomInputOptions& options) {
  const auto& declared = input.type.shape;
  auto given = options.shapes.find(input.name());
  if (given != options.shapes.end()) {
    bool fits = !declared || declared->size() == given->second.size();
    for (size_t i = 0; fits && declared && i < declared->size(); ++i)
      fits = !(*declared)[i].isStatic() || (*declared)[i].value == given->second[i];
    if (!fits)
      throwInputError("shape [{}] given for input '{}' contradicts its declared shape", fmt::join(given->second, ","),
                      input.name());
    return given->second;
  }
  if (!declared) throwInputError("input '{}' has unknown rank; give its shape", input.name());
  std::vector<int64_t> dims;
  for (const ir::Dim& d : *declared) {
    auto param = options.dimParams.find(d.param);
    dims.push_back(d.isStatic() ? d.value : param != options.dimParams.end() ? param->second : 1);
  }
  return dims;
}

TensorMap randomInputs(const ir::Graph& graph, const RandomInputOptions& options) {
  std::mt19937_64 rng(options.seed);
  TensorMap inputs;
  for (const ir::Value* input : graph.inputs()) {
    if (input->isInitializer() || options.given.count(input->name())) continue;
    std::vector<int64_t> shape = concreteInputShape(*input, options);
    ir::checkTensorSize("input", input->name(), ir::ValueType::tensor(input->type.dtype, shape));
    ir::Tensor t(input->type.dtype, shape);
    auto fill = [&](auto tag, auto make) {
      for (auto& v : t.data<decltype(tag)>()) v = make(rng());
    };
    auto unit = [](uint64_t r) { return double(r >> 11) * 0x1.0p-53; };  // [0, 1)
    switch (t.dtype()) {
      case ir::DType::Float:
        fill(float{}, [&](uint64_t r) { return float(2 * unit(r) - 1); });
        break;
      case ir::DType::Double:
        fill(double{}, [&](uint64_t r) { return 2 * unit(r) - 1; });
        break;
      case ir::DType::Int64:
        fill(int64_t{}, [](uint64_t r) { return int64_t(r % 10); });
        break;
      case ir::DType::Int32:
        fill(int32_t{}, [](uint64_t r) { return int32_t(r % 10); });
        break;
      case ir::DType::Bool:
        fill(uint8_t{}, [](uint64_t r) { return uint8_t(r & 1); });
        break;
      default:
        throwInputError("input '{}': random inputs of type {} are not supported", input->name(),
                        ir::dtypeName(t.dtype()));
    }
    t.name = input->name();
    inputs[input->name()] = std::move(t);
  }
  return inputs;
}

}  // namespace convopt::runtime
