// Tensor files, seeded random inputs, output comparison and `convopt run`.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "ir/error.h"
#include "ir/onnx_io.h"
#include "runtime/compare.h"
#include "runtime/random_inputs.h"
#include "runtime/tensor_file.h"

namespace convopt::runtime {
namespace {

namespace fs = std::filesystem;
using testing::ElementsAre;

class TempDir : public testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() /
          fmt::format("convopt_ref_{}_{}", getpid(), testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir);
  }
  void TearDown() override { fs::remove_all(dir); }
  fs::path dir;
};

using TensorFiles = TempDir;

TEST_F(TensorFiles, PbRoundTripKeepsNameTypeShapeAndData) {
  ir::Tensor t = ir::Tensor::fromVector<int64_t>(ir::DType::Int64, {2, 2}, {1, -2, 3, 1LL << 40});
  t.name = "shape";
  saveTensorFile(t, dir / "t.pb");
  ir::Tensor back = loadTensorFile(dir / "t.pb");
  EXPECT_EQ(back.name, "shape");
  EXPECT_TRUE(back.sameContents(t));
  EXPECT_FALSE(fs::exists(dir / "t.pb.tmp"));
}

TEST_F(TensorFiles, ReadsNpyVersion1) {
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1), }";
  header.resize(118, ' ');
  header += '\n';
  std::ofstream out(dir / "a.npy", std::ios::binary);
  out << "\x93NUMPY" << char(1) << char(0) << char(header.size() & 0xff) << char(header.size() >> 8) << header;
  float values[2] = {1.5f, -2.f};
  out.write(reinterpret_cast<const char*>(values), sizeof values);
  out.close();
  ir::Tensor t = loadTensorFile(dir / "a.npy");
  EXPECT_EQ(t.dtype(), ir::DType::Float);
  EXPECT_THAT(t.dims(), ElementsAre(2, 1));
  EXPECT_THAT(t.toFloatVector(), ElementsAre(1.5f, -2.f));
}

TEST_F(TensorFiles, GarbageIsAnInputErrorNamingTheFile) {
  std::ofstream(dir / "bad.pb") << "\xff\xff\xff not a proto";
  EXPECT_THROW(loadTensorFile(dir / "bad.pb"), InputError);
  EXPECT_THROW(loadTensorFile(dir / "missing.pb"), InputError);
}

TEST(RandomInputs, SeededDeterministicAndDynamicDimsDefaultToOne) {
  ir::Model model = ir::parseModelText(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[N,3] x, int64[2] k) => (float[N,3] y)
{ y = Relu (x) })");
  RandomInputOptions options;
  TensorMap a = randomInputs(*model.graph, options), b = randomInputs(*model.graph, options);
  EXPECT_THAT(a["x"].dims(), ElementsAre(1, 3));
  EXPECT_TRUE(a["x"].sameContents(b["x"]));
  for (float v : a["x"].toFloatVector()) EXPECT_TRUE(v >= -1 && v < 1);
  for (int64_t v : a["k"].toInt64Vector()) EXPECT_TRUE(v >= 0 && v < 10);
  options.seed = 1;
  options.dimParams["N"] = 4;
  TensorMap c = randomInputs(*model.graph, options);
  EXPECT_THAT(c["x"].dims(), ElementsAre(4, 3));
  options.shapes["x"] = {2, 4};
  EXPECT_THROW(randomInputs(*model.graph, options), InputError);  // contradicts the static 3
}

// A data set's tensor named after an initializer input overrides it (the engine
// judges whether it may); unnamed tensors take the other inputs in order.
TEST(BindInputs, ByNameIncludingInitializerInputsElseByPosition) {
  ir::Model model = ir::parseModelText(R"(<ir_version: 7, opset_import: ["" : 13]>
g (float[2] x, float[2] w) => (float[2] y)
<float[2] w = {1, 2}>
{ y = Add (x, w) })");
  ir::Tensor x(ir::DType::Float, {2}), w(ir::DType::Float, {2}), unnamed(ir::DType::Float, {2});
  x.name = "x", w.name = "w";
  std::map<std::string, ir::Tensor> bound = bindInputs({x, w}, *model.graph, "set");
  EXPECT_EQ(bound.size(), 2u);
  EXPECT_TRUE(bound.count("w"));
  bound = bindInputs({unnamed}, *model.graph, "set");
  EXPECT_TRUE(bound.count("x"));
  bound = bindInputs({w, unnamed}, *model.graph, "set");  // the override first, x by position after it
  EXPECT_EQ(bound.size(), 2u);
  EXPECT_TRUE(bound.count("x") && bound.count("w"));
  try {
    bindInputs({unnamed, unnamed}, *model.graph, "set");
    ADD_FAILURE() << "two unnamed tensors for one input";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "set has 2 inputs, the model takes 1");
  }
}

TEST(Compare, AllcloseSemantics) {
  auto f = [](std::vector<float> v) { return ir::Tensor::fromVector(ir::DType::Float, {int64_t(v.size())}, v); };
  Comparison c = compareTensors(f({1.0f, 100.0f, NAN}), f({1.0f, 100.009f, NAN}), {1e-4, 0});
  EXPECT_TRUE(c.ok);
  EXPECT_NEAR(c.maxAbsError, 0.009, 1e-4);
  EXPECT_FALSE(compareTensors(f({1.0f}), f({1.001f}), {1e-4, 1e-5}).ok);
  EXPECT_FALSE(compareTensors(f({1.0f, 2.0f}), f({1.0f}), {}).ok);
}

using RunCommand = TempDir;

int runCli(const std::string& args) {
  int status = std::system(fmt::format("'{}' {} > /dev/null 2>&1", CONVOPT_BINARY, args).c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST_F(RunCommand, OutputDirRoundTripsThroughCheckAndMismatchExitsThree) {
  ir::Model model = ir::parseModelText(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2,3] x) => (float[2,3] y)
{ y = Sigmoid (x) })");
  ir::saveModel(model, dir / "m.onnx");
  fs::create_directories(dir / "data");
  ir::Tensor x = ir::Tensor::fromVector<float>(ir::DType::Float, {2, 3}, {0, 1, -1, 2, -2, 0.5});
  x.name = "x";
  saveTensorFile(x, dir / "data/input_0.pb");
  std::string modelPath = (dir / "m.onnx").string();
  ASSERT_EQ(runCli(fmt::format("run '{}' --input x='{}' --output-dir '{}'", modelPath,
                               (dir / "data/input_0.pb").string(), (dir / "data").string())),
            0);
  ir::Tensor y = loadTensorFile(dir / "data/output_0.pb");
  EXPECT_NEAR(y.toFloatVector()[1], 0.7310586f, 1e-6);
  EXPECT_EQ(runCli(fmt::format("run '{}' --check '{}'", modelPath, (dir / "data").string())), 0);
  y.data<float>()[0] += 0.01f;
  saveTensorFile(y, dir / "data/output_0.pb");
  EXPECT_EQ(runCli(fmt::format("run '{}' --check '{}'", modelPath, (dir / "data").string())), 3);
  EXPECT_EQ(runCli(fmt::format("run '{}' --check '{}' --atol 0.02", modelPath, (dir / "data").string())), 0);
  EXPECT_EQ(runCli(fmt::format("run '{}' --input nosuch=x.pb", modelPath)), 2);
  EXPECT_EQ(runCli(fmt::format("run '{}' --seed 7", modelPath)), 0);
}

}  // namespace
}  // namespace convopt::runtime
