#include "passes/equivalence.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "passes/seeded_dims.h"
#include "runtime/compare.h"
#include "runtime/random_inputs.h"
#include "runtime/reference/interpreter.h"

namespace convopt::passes {

bool EquivalenceResult::equivalent() const {
  return std::all_of(outputs.begin(), outputs.end(), [](const OutputDifference& d) { return d.withinTolerance; });
}

std::string EquivalenceResult::summary() const {
  std::string out;
  for (const OutputDifference& d : outputs)
    out += fmt::format("  output {}: max |diff| {:.3g} (max |value| {:.3g}) {}\n", d.output, d.maxAbsDiff, d.scale,
                       d.withinTolerance ? "ok" : "BEYOND TOLERANCE");
  return out;
}

runtime::TensorMap equivalenceInputs(const ir::Graph& before, const EquivalenceOptions& options,
                                     std::vector<std::string>* sized) {
  runtime::RandomInputOptions random;
  random.seed = options.seed;
  for (const auto& [name, tensor] : options.inputs) random.given.insert(name);
  std::vector<ir::Node*> nodes = before.nodes();
  std::vector<const ir::Node*> readers(nodes.begin(), nodes.end());
  std::vector<std::string> unreported;
  std::vector<std::string>& chosen = sized ? *sized : unreported;
  for (const ir::Value* in : before.inputs()) {
    if (in->isInitializer() || !in->type.shape || random.given.count(in->name())) continue;
    auto given = options.inputShapes.find(in->name());
    random.shapes[in->name()] =
        given != options.inputShapes.end() ? given->second : seededDims(*in, readers, options.dynamicDim, chosen);
  }
  runtime::TensorMap inputs = runtime::randomInputs(before, random);
  for (const auto& [name, tensor] : options.inputs) inputs[name] = tensor;
  return inputs;
}

EquivalenceResult compareModels(const ir::Graph& before, const ir::Graph& after, int64_t opset,
                                const EquivalenceOptions& options) {
  EquivalenceResult result;
  runtime::TensorMap inputs = equivalenceInputs(before, options, &result.sizedDims);
  runtime::TensorMap expected = runtime::runReference(before, inputs, opset);
  runtime::TensorMap actual = runtime::runReference(after, inputs, opset);
  for (const ir::Value* out : before.outputs()) {
    OutputDifference d;
    d.output = out->name();
    const ir::Tensor& reference = expected.at(out->name());
    for (float x : reference.toFloatVector()) d.scale = std::max(d.scale, static_cast<double>(std::abs(x)));
    auto it = actual.find(out->name());
    if (it == actual.end()) {
      d.maxAbsDiff = INFINITY;
      d.withinTolerance = false;
    } else {
      runtime::Comparison c = runtime::compareTensors(
          it->second, reference, {.rtol = options.tolerance, .atol = options.tolerance * std::max(d.scale, 1.0)});
      d.maxAbsDiff = c.mismatch.empty() ? c.maxAbsError : INFINITY;
      d.withinTolerance = c.ok;
    }
    result.outputs.push_back(d);
  }
  return result;
}

}  // namespace convopt::passes
