#include "tests/support/codegen_reference_check.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "codegen/engine/jit_engine.h"
#include "ir/onnx_io.h"
#include "runtime/reference/interpreter.h"

namespace convopt::codegen::testing {
namespace {

ir::Tensor randomTensor(const std::vector<int64_t>& dims, std::mt19937& rng, bool positive, float magnitude) {
  std::uniform_real_distribution<float> uniform(positive ? 0.5f * magnitude : -magnitude,
                                                positive ? 1.5f * magnitude : magnitude);
  ir::Tensor t(ir::DType::Float, dims);
  for (float& v : t.data<float>()) v = uniform(rng);
  return t;
}

runtime::TensorMap randomizeModel(ir::Model& model, const ReferenceCheck& check, unsigned seed) {
  std::mt19937 rng(seed);
  runtime::TensorMap inputs;
  std::vector<ir::Value*> declared = model.graph->inputs();
  for (size_t i = 0; i < declared.size(); ++i) {
    ir::Value* input = declared[i];
    if (input->isInitializer()) continue;
    bool positive = input->name() == "var" || input->name() == "divisor";
    ir::Tensor t = randomTensor(input->type.staticShape(), rng, positive, check.magnitude);
    t.name = input->name();
    if (int(i) < check.runtimeInputs)
      inputs[input->name()] = t;
    else
      model.graph->setInitializer(input, t);
  }
  return inputs;
}

}  // namespace

std::string expectSameAsReference(const std::string& text, const char* cpu, const ReferenceCheck& check) {
  ir::Model model = ir::parseModelText(text);
  runtime::TensorMap inputs = randomizeModel(model, check, 7);
  runtime::TensorMap expected = runtime::runReference(model, inputs);  // at the model's opset
  JitEngine engine(model, shapesOf(inputs),
                   {.cpu = cpu,
                    .threads = check.threads,
                    .winograd = check.winograd,
                    .measuredWinogradTiles = check.measuredWinogradTiles,
                    .measuredConvVariants = check.measuredConvVariants,
                    .ringFusion = check.ringFusion});
  runtime::TensorMap actual = engine.run(inputs);
  for (const auto& [name, want] : expected) {
    const ir::Tensor& got = actual.at(name);
    EXPECT_EQ(got.dims(), want.dims()) << name;
    if (got.dims() != want.dims()) continue;
    auto a = got.data<float>(), e = want.data<float>();
    for (size_t i = 0; i < e.size(); ++i) {
      // The same infinity or both NaN (reductions over nothing) agree too.
      bool same = a[i] == e[i] || (std::isnan(a[i]) && std::isnan(e[i]));
      if (!same && !(std::abs(a[i] - e[i]) <= check.tolerance * (check.absolute + std::abs(e[i])))) {
        ADD_FAILURE() << name << "[" << i << "]: " << a[i] << " vs " << e[i] << "\n" << engine.explain();
        break;
      }
    }
  }
  return engine.explain();
}

std::string expectSameAsReference(const std::string& text, const char* cpu, int threads) {
  ReferenceCheck check;
  check.threads = threads;
  return expectSameAsReference(text, cpu, check);
}

std::string explainEngine(const std::string& text, const char* cpu) {
  return JitEngine(ir::parseModelText(text), {}, {cpu, 1}).explain();
}

std::string has(const std::string& explain, const std::string& line) {
  return explain.find(line) != std::string::npos ? "" : "missing '" + line + "' in\n" + explain;
}

ir::Model modelWithFixedWeights(const std::string& text) {
  ir::Model model = ir::parseModelText(text);
  std::vector<ir::Value*> inputs = model.graph->inputs();
  for (size_t i = 1; i < inputs.size(); ++i) {
    ir::Tensor weights(ir::DType::Float, inputs[i]->type.staticShape());
    float value = 0.01f * float(i);
    for (float& w : weights.data<float>()) value = -value * 0.97f, w = value;
    weights.name = inputs[i]->name();
    model.graph->setInitializer(inputs[i], weights);
  }
  return model;
}

}  // namespace convopt::codegen::testing
