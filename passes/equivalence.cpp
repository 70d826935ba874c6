#include "passes/equivalence.h"

#include <algorithm>
#include <cmath>
#include <random>

#include <fmt/format.h>

#include "ir/error.h"
#include "runtime/reference/interpreter.h"

namespace convopt::passes {
namespace {

ir::Tensor randomInput(const ir::Value& input, const EquivalenceOptions& options, std::mt19937_64& rng) {
  std::vector<int64_t> dims;
  if (input.type.shape)
    for (const ir::Dim& d : *input.type.shape) dims.push_back(d.isStatic() ? d.value : options.unknownDim);
  ir::Tensor t(input.type.dtype, dims);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  switch (input.type.dtype) {
    case ir::DType::Float:
      for (float& x : t.data<float>()) x = uniform(rng);
      break;
    case ir::DType::Double:
      for (double& x : t.data<double>()) x = uniform(rng);
      break;
    case ir::DType::Int64:
    case ir::DType::Int32:
    case ir::DType::Bool:
      break;  // zeros: a valid index / flag for any op
    default:
      throwInputError("input '{}': cannot generate random data of type {}", input.name(), ir::dtypeName(input.type.dtype));
  }
  return t;
}

}  // namespace

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

EquivalenceResult compareModels(const ir::Graph& before, const ir::Graph& after, const EquivalenceOptions& options) {
  std::mt19937_64 rng(options.seed);
  runtime::TensorMap inputs;
  for (const ir::Value* in : before.inputs())
    if (!in->isInitializer()) inputs[in->name()] = randomInput(*in, options, rng);
  runtime::TensorMap expected = runtime::runReference(before, inputs);
  runtime::TensorMap actual = runtime::runReference(after, inputs);
  EquivalenceResult result;
  for (const ir::Value* out : before.outputs()) {
    OutputDifference d;
    d.output = out->name();
    auto it = actual.find(out->name());
    std::vector<float> a = expected.at(out->name()).toFloatVector();
    std::vector<float> b = it == actual.end() ? std::vector<float>{} : it->second.toFloatVector();
    if (a.size() != b.size()) {
      d.maxAbsDiff = INFINITY;
    } else {
      for (size_t i = 0; i < a.size(); ++i) {
        d.scale = std::max(d.scale, static_cast<double>(std::abs(a[i])));
        double diff = std::abs(static_cast<double>(a[i]) - b[i]);
        d.maxAbsDiff = std::isnan(diff) ? INFINITY : std::max(d.maxAbsDiff, diff);
      }
    }
    d.withinTolerance = d.maxAbsDiff <= options.tolerance * std::max(d.scale, 1.0);
    result.outputs.push_back(d);
  }
  return result;
}

}  // namespace convopt::passes
