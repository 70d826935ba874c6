// Every shared model through the compiled engine, at 1 and 2 threads, against
// its golden output (onnxruntime's), within rtol 1e-4 / atol 1e-4 (the
// engine's summation order differs from onnxruntime's). Nodes on the
// conv / activation / elementwise / pooling paths (4-D tensors) must all be
// generated; those ops on other ranks (e.g. PP-OCR's attention blocks) may fall back.
#include <gtest/gtest.h>

#include <onnx/onnx_pb.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "codegen/engine/jit_engine.h"
#include "ir/onnx_io.h"
#include "ir/tensor_proto.h"
#include "tests/support/ir_shared_models.h"

namespace convopt::codegen {
namespace {

namespace fs = std::filesystem;

ir::Tensor loadTensor(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  onnx::TensorProto proto;
  if (!proto.ParseFromIstream(&in)) throw std::runtime_error("cannot parse " + file.string());
  return ir::tensorFromProto(proto, file.parent_path());
}

void expectClose(const ir::Tensor& actual, const ir::Tensor& expected, const std::string& what) {
  ASSERT_EQ(actual.dims(), expected.dims()) << what;
  auto a = actual.data<float>(), e = expected.data<float>();
  size_t failures = 0, first = 0;
  for (size_t i = 0; i < e.size(); ++i)
    if (!(std::abs(a[i] - e[i]) <= 1e-4f + 1e-4f * std::abs(e[i]))) first = failures++ ? first : i;
  EXPECT_EQ(failures, 0u) << what << ": first at " << first << ": " << a[first] << " vs " << e[first];
}

class SharedModel : public ::testing::TestWithParam<std::string> {};

TEST_P(SharedModel, JitEngineMatchesGoldenAtOneAndTwoThreads) {
  fs::path dir = fs::path(CONVOPT_SHARED_MODELS) / GetParam();
  ir::Model model = ir::loadModel(dir / "model.onnx");
  ir::Tensor input = loadTensor(dir / "test_data_set_0" / "input_0.pb");
  ir::Tensor expected = loadTensor(dir / "test_data_set_0" / "output_0.pb");
  std::string inputName;
  for (const ir::Value* v : model.graph->inputs())
    if (!v->isInitializer()) inputName = v->name();
  runtime::TensorMap inputs = {{inputName, input}};
  JitEngine engine(model, shapesOf(inputs), {"", 1});
  static const std::set<std::string> generated = {"Conv",
                                                  "Relu",
                                                  "Clip",
                                                  "Sigmoid",
                                                  "HardSigmoid",
                                                  "HardSwish",
                                                  "Add",
                                                  "Mul",
                                                  "Div",
                                                  "BatchNormalization",
                                                  "MaxPool",
                                                  "AveragePool",
                                                  "GlobalAveragePool"};
  // Plain-layout kernels of any rank: only non-float or dynamically shaped tensors fall back.
  static const std::set<std::string> generatedPlain = {"Transpose", "Slice",     "ReduceMean",
                                                       "ReduceSum", "ReduceMax", "ReduceMin"};
  for (const FallbackNode& node : engine.fallbackNodes()) {
    EXPECT_FALSE(generated.count(node.opType) && node.outputRank == 4) << node.label << " fell back: " << node.reason;
    EXPECT_FALSE(generatedPlain.count(node.opType) && node.reason != "not a float tensor of static shape")
        << node.label << " fell back: " << node.reason;
  }
  const std::string& outputName = model.graph->outputs()[0]->name();
  for (int threads : {1, 2}) {
    engine.setThreads(threads);
    expectClose(engine.run(inputs).at(outputName), expected,
                GetParam() + " at " + std::to_string(threads) + " threads");
  }
}

INSTANTIATE_TEST_SUITE_P(Models, SharedModel, ::testing::ValuesIn(testing::sharedModelNames()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace convopt::codegen
