// MatMul and Gemm as GEMM kernels on plain tensors, against the reference
// interpreter on both vector widths: sizes around the vector width and the
// register tile (M 1/7, N 1/5/17/33, K 1/3/19), batched and broadcast
// MatMul with constant or activation operands, 1-D operands, the bias Add and
// activations fused, every Gemm trans/alpha/beta combination and C shape; the
// cases that fall back, with their reasons.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <climits>

#include "codegen/conv/tiling.h"
#include "codegen/kernels/matmul_kernel.h"
#include "tests/support/codegen_reference_check.h"
#include "tests/support/target_cpus.h"

namespace convopt::codegen::testing {
namespace {

const char* kHeader = R"(<ir_version: 8, opset_import: ["" : 13]>)";

// A graph of the given inputs, outputs and body, as ONNX text.
std::string model(const std::vector<std::string>& inputs, const std::vector<std::string>& outputs,
                  const std::string& body) {
  return fmt::format("{}\ng ({}) => ({})\n{{\n{}}}\n", kHeader, fmt::join(inputs, ", "), fmt::join(outputs, ", "),
                     body);
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

ReferenceCheck runtimeInputs(int count) {
  ReferenceCheck check;
  check.runtimeInputs = count;
  return check;
}

class MatMulKernels : public TargetTest<const char*> {};

// Every (N, K) for one M in one model; B a weight (packed at compile time) or
// a second activation.
void sweep(int64_t m, bool constantB, const char* cpu) {
  std::vector<std::string> inputs, weights, outputs;
  std::string body;
  for (int64_t k : {1, 3, 19}) {
    inputs.push_back(fmt::format("float[{},{}] x{}", m, k, k));
    for (int64_t n : {1, 5, 17, 33}) {
      weights.push_back(fmt::format("float[{},{}] w{}_{}", k, n, k, n));
      outputs.push_back(fmt::format("float[{},{}] y{}_{}", m, n, k, n));
      body += fmt::format("  y{}_{} = MatMul (x{}, w{}_{})\n", k, n, k, k, n);
    }
  }
  inputs.insert(inputs.end(), weights.begin(), weights.end());
  std::string explain =
      expectSameAsReference(model(inputs, outputs, body), cpu, runtimeInputs(constantB ? 3 : INT_MAX));
  EXPECT_EQ(count(explain, "-> kernel"), 12u) << explain;
  EXPECT_EQ(count(explain, "packed B"), constantB ? 12u : 0u) << explain;
  EXPECT_NE(explain.find("0 fallback node(s)"), std::string::npos) << explain;
}

TEST_P(MatMulKernels, SizesAroundTheVectorWidthWithPackedB) {
  for (int64_t m : {1, 7}) sweep(m, true, GetParam());
}

TEST_P(MatMulKernels, SizesAroundTheVectorWidthWithActivationB) {
  for (int64_t m : {1, 7}) sweep(m, false, GetParam());
}

TEST_P(MatMulKernels, BatchDimsBroadcastNumpyStyle) {
  std::string explain = expectSameAsReference(
      model(
          {"float[2,3,7,5] a", "float[2,3,5,17] b", "float[2,1,7,5] c", "float[3,5,9] d", "float[7,5] e", "float[5] v"},
          {"float[2,3,7,17] ab", "float[2,3,7,9] cd", "float[2,3,7,17] eb", "float[2,3,17] vb", "float[2,1,7] cv"},
          "  ab = MatMul (a, b)\n  cd = MatMul (c, d)\n  eb = MatMul (e, b)\n  vb = MatMul (v, b)\n"
          "  cv = MatMul (c, v)\n"),
      GetParam(), runtimeInputs(INT_MAX));
  EXPECT_EQ(count(explain, "-> kernel"), 5u) << explain;
  EXPECT_NE(explain.find("[2,3] 7x5x17"), std::string::npos) << explain;
  EXPECT_NE(explain.find("[2,3] 1x5x17"), std::string::npos) << explain;  // 1-D A
  EXPECT_NE(explain.find("14x5x1"), std::string::npos) << explain;        // 1-D B, shared: more rows
}

TEST_P(MatMulKernels, ConstantBWithBatchDimsIsPackedPerMatrix) {
  std::string explain = expectSameAsReference(
      model({"float[2,1,7,5] x", "float[3,5,9] w"}, {"float[2,3,7,9] y"}, "  y = MatMul (x, w)\n"), GetParam());
  EXPECT_NE(explain.find("[2,3] 7x5x9 tile"), std::string::npos) << explain;
  EXPECT_NE(explain.find("packed B"), std::string::npos) << explain;
}

TEST_P(MatMulKernels, BatchSharingBIsFoldedIntoRowsUnlessTheBiasVariesPerMatrix) {
  std::string explain = expectSameAsReference(
      model({"float[4,7,19] x", "float[19,33] w", "float[33] bias", "float[4,1,33] perMatrix"},
            {"float[4,7,33] y", "float[4,7,33] z"},
            "  p = MatMul (x, w)\n  y = Add (p, bias)\n  q = MatMul (x, w)\n  z = Add (q, perMatrix)\n"),
      GetParam());
  EXPECT_NE(explain.find("kernel k0_matmul (28x19x33 tile"), std::string::npos) << explain;
  EXPECT_NE(explain.find("kernel k1_matmul ([4] 7x19x33 tile"), std::string::npos) << explain;
}

TEST_P(MatMulKernels, ConstantAWithActivationB) {
  std::string explain = expectSameAsReference(
      model({"float[5,17] x", "float[7,5] w"}, {"float[7,17] y"}, "  y = MatMul (w, x)\n"), GetParam());
  EXPECT_NE(explain.find("7x5x17 tile"), std::string::npos) << explain;
}

TEST_P(MatMulKernels, BiasAddAndActivationsFuse) {
  std::string explain =
      expectSameAsReference(model({"float[1,7,19] x", "float[19,33] w", "float[33] bias", "float[7,1] column"},
                                  {"float[1,7,33] y", "float[1,7,33] z"},
                                  "  p = MatMul (x, w)\n  q = Add (p, bias)\n  y = Relu (q)\n"
                                  "  s = MatMul (x, w)\n  t = Add (column, s)\n  z = Sigmoid (t)\n"),
                            GetParam());
  EXPECT_EQ(count(explain, "-> kernel"), 2u) << explain;
  EXPECT_NE(explain.find("Add(q): Add -> fused into"), std::string::npos) << explain;
  EXPECT_NE(explain.find("+ relu"), std::string::npos) << explain;
  EXPECT_NE(explain.find("Add(t): Add -> fused into"), std::string::npos) << explain;
  EXPECT_NE(explain.find("+ sigmoid"), std::string::npos) << explain;
}

TEST_P(MatMulKernels, ResidualAddOfAFourDimensionalProductFuses) {
  std::string explain = expectSameAsReference(model({"float[1,2,7,19] x", "float[1,2,7,17] r", "float[19,17] w"},
                                                    {"float[1,2,7,17] y"}, "  p = MatMul (x, w)\n  y = Add (p, r)\n"),
                                              GetParam(), runtimeInputs(2));
  EXPECT_NE(explain.find("Add(y): Add -> fused into"), std::string::npos) << explain;
  EXPECT_NE(explain.find("+ add"), std::string::npos) << explain;
}

TEST_P(MatMulKernels, AttentionScoresSoftmaxAndValues) {
  std::string explain = expectSameAsReference(
      model({"float[1,8,40,15] q", "float[1,8,15,40] kt", "float[1,8,40,15] v"}, {"float[1,8,40,15] o"},
            "  s = MatMul (q, kt)\n  p = Softmax <axis = -1> (s)\n  o = MatMul (p, v)\n"),
      GetParam(), runtimeInputs(INT_MAX));
  EXPECT_EQ(count(explain, "-> kernel"), 3u) << explain;
  EXPECT_NE(explain.find("[1,8] 40x15x40"), std::string::npos) << explain;
  EXPECT_NE(explain.find("320 rows of 40"), std::string::npos) << explain;
}

// Each trans/alpha/beta combination; a transposed operand is a constant (an
// activation read transposed falls back, below), and when both are, C is the
// activation so that nothing folds away.
TEST_P(MatMulKernels, GemmEveryTransAlphaBetaCombination) {
  const int64_t m = 7, k = 19, n = 17;
  std::vector<std::string> activations = {"float[7,19] a", "float[19,17] b", "float[7,17] c"}, weights, outputs;
  std::string body;
  int index = 0;
  for (int transA : {0, 1})
    for (int transB : {0, 1})
      for (float alpha : {1.0f, 0.5f})
        for (float beta : {1.0f, 2.0f}) {
          std::string a = "a", b = "b", c = fmt::format("c{}", index);
          if (transA) a = fmt::format("at{}", index), weights.push_back(fmt::format("float[{},{}] {}", k, m, a));
          if (transB) b = fmt::format("bt{}", index), weights.push_back(fmt::format("float[{},{}] {}", n, k, b));
          // C cycles through [N], [M,1], [M,N], scalar; an activation when A and B are both weights.
          const char* shapes[] = {"[17]", "[7,1]", "[7,17]", "[1]"};
          if (transA && transB)
            c = "c";
          else
            weights.push_back(fmt::format("float{} {}", shapes[index % 4], c));
          outputs.push_back(fmt::format("float[7,17] y{}", index));
          body += fmt::format("  y{} = Gemm <transA = {}, transB = {}, alpha = {:.1f}, beta = {:.1f}> ({}, {}, {})\n",
                              index, transA, transB, alpha, beta, a, b, c);
          ++index;
        }
  activations.insert(activations.end(), weights.begin(), weights.end());
  std::string explain = expectSameAsReference(model(activations, outputs, body), GetParam(), runtimeInputs(3));
  EXPECT_EQ(count(explain, "-> kernel"), 16u) << explain;
  EXPECT_NE(explain.find("0 fallback node(s)"), std::string::npos) << explain;
}

TEST_P(MatMulKernels, GemmWithoutCOrWithActivationsForEveryOperand) {
  std::string explain = expectSameAsReference(
      model({"float[3,33] a", "float[33,5] b", "float[5] row", "float[3,1] column", "float[10,33] w"},
            {"float[3,5] y", "float[3,10] z", "float[3,5] u", "float[3,5] v"},
            "  y = Gemm <alpha = 0.25> (a, b)\n  z = Gemm <transB = 1, beta = 3.0> (a, w)\n"
            "  u = Gemm <beta = 0.5> (a, b, row)\n  v = Gemm <alpha = 2.0> (a, b, column)\n"),
      GetParam(), runtimeInputs(4));
  EXPECT_EQ(count(explain, "-> kernel"), 4u) << explain;
}

TEST_P(MatMulKernels, ActivationsReadTransposedFallBack) {
  std::string explain = expectSameAsReference(
      model({"float[19,7] a", "float[17,19] b", "float[19,17] w", "float[7,19] x"}, {"float[7,17] y", "float[7,17] z"},
            "  y = Gemm <transA = 1> (a, w)\n  z = Gemm <transB = 1> (x, b)\n"),
      GetParam(), runtimeInputs(2));
  EXPECT_NE(explain.find("Gemm -> FALLBACK to the reference interpreter (transA of an activation (read transposed))"),
            std::string::npos)
      << explain;
  EXPECT_NE(explain.find("Gemm -> FALLBACK to the reference interpreter (transB of an activation (read transposed))"),
            std::string::npos)
      << explain;
}

TEST_P(MatMulKernels, IntegerAndEmptyProductsFallBack) {
  std::string explain = expectSameAsReference(
      model({"float[7,5] x", "float[0,5] e", "float[5,3] w"}, {"float[7,3] y", "float[0,3] z"},
            "  xi = Cast <to = 6> (x)\n  wi = Cast <to = 6> (w)\n  p = MatMul (xi, wi)\n  y = Cast <to = 1> (p)\n"
            "  z = MatMul (e, w)\n"),
      GetParam(), runtimeInputs(2));
  EXPECT_NE(explain.find("MatMul(p): MatMul -> FALLBACK to the reference interpreter (operands are not float tensors "
                         "of static shape)"),
            std::string::npos)
      << explain;
  EXPECT_NE(explain.find("MatMul(z): MatMul -> FALLBACK to the reference interpreter (empty matrix)"),
            std::string::npos)
      << explain;
}

TEST_P(MatMulKernels, OneAndTwoThreadsAgree) {
  for (int threads : {1, 2})
    expectSameAsReference(model({"float[7,19] x", "float[19,33] w"}, {"float[7,33] y"}, "  y = MatMul (x, w)\n"),
                          GetParam(), threads);
}

INSTANTIATE_TEST_SUITE_P(Targets, MatMulKernels, ::testing::Values("x86-64-v3", "x86-64-v4"),
                         [](const auto& info) { return std::string(info.param) == "x86-64-v3" ? "AVX2" : "AVX512"; });

TEST(MatMulTiling, RowsOfABroadcastIntoNVectors) {
  EXPECT_EQ(matmulTile(avx512Target(), 40, 6625), (MatMulTile{6, 4}));
  EXPECT_EQ(matmulTile(avx2Target(), 40, 6625), (MatMulTile{4, 3}));
  EXPECT_EQ(matmulTile(avx512Target(), 1, 1000), (MatMulTile{1, 4}));  // a classifier: one row
  EXPECT_EQ(matmulTile(avx2Target(), 40, 5), (MatMulTile{14, 1}));     // one N-vector: rows take the registers
  // One tile would hold the whole matrix: halved, rows first, for two threads.
  EXPECT_EQ(matmulTile(avx2Target(), 7, 5), (MatMulTile{4, 1}));
  EXPECT_EQ(matmulTile(avx512Target(), 7, 33), (MatMulTile{4, 3}));
  EXPECT_EQ(matmulTile(avx512Target(), 1, 20), (MatMulTile{1, 1}));
  EXPECT_EQ(matmulTile(avx512Target(), 1, 10), (MatMulTile{1, 1}));  // nothing left to split
}

TEST(MatMulTiling, WorkUnitsAreRowTilesTimesColumnTilesTimesMatrices) {
  for (const Target& target : {avx2Target(), avx512Target()}) {
    MatMulSpec spec;
    spec.m = 7, spec.k = 19, spec.n = 33;
    spec.tile = matmulTile(target, spec.m, spec.n);
    int64_t rowTiles = (7 + spec.tile.rows - 1) / spec.tile.rows;
    int64_t columnTiles =
        ((33 + target.vectorWidth - 1) / target.vectorWidth + spec.tile.blocks - 1) / spec.tile.blocks;
    EXPECT_EQ(matmulWorkUnits(spec, target.vectorWidth), rowTiles * columnTiles);
    EXPECT_GE(matmulWorkUnits(spec, target.vectorWidth), 2);  // two threads have work
    spec.batchDims = {2, 3};
    EXPECT_EQ(matmulWorkUnits(spec, target.vectorWidth), 6 * rowTiles * columnTiles);
  }
}

}  // namespace
}  // namespace convopt::codegen::testing
