// ONNX backend conformance: every test of libonnx-testdata's node,
// pytorch-converted, pytorch-operator and simple suites whose ops and element
// types the reference interpreter supports is run and compared with its
// expected outputs (rtol 1e-3, atol 1e-7: ONNX's backend-test defaults).
// Tests listed in expected_failures.txt (with a reason) may fail; one that
// passes is reported so the list stays honest.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include <fmt/format.h>

#include "ir/error.h"
#include "ir/onnx_io.h"
#include "runtime/compare.h"
#include "runtime/reference/interpreter.h"
#include "runtime/tensor_file.h"

namespace convopt {
namespace {

namespace fs = std::filesystem;
const fs::path kDataRoot = "/usr/share/libonnx-testdata/data";
const char* const kSuites[] = {"node", "pytorch-converted", "pytorch-operator", "simple"};
constexpr runtime::Tolerance kTolerance{1e-3, 1e-7};

enum class Outcome { Passed, Failed, Unsupported };

struct Result {
  Outcome outcome;
  std::string detail;
};

// "suite/test_name" -> reason.
std::map<std::string, std::string> loadExpectedFailures() {
  std::ifstream in(fs::path(CONVOPT_SOURCE_DIR) / "tests/conformance/expected_failures.txt");
  std::map<std::string, std::string> list;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    size_t space = line.find(' ');
    list[line.substr(0, space)] = space == std::string::npos ? "" : line.substr(line.find_first_not_of(' ', space));
  }
  return list;
}

bool computable(ir::DType t) {
  return t != ir::DType::Undefined && ir::elementSize(t) != 0 && t != ir::DType::Float16 && t != ir::DType::BFloat16 &&
         t != ir::DType::Complex64 && t != ir::DType::Complex128;
}

// Why the interpreter cannot run this model at all ("" if it can try).
std::string unsupportedReason(const ir::Graph& graph) {
  for (const ir::Node* node : graph.nodes()) {
    if (!runtime::referenceSupports(node->domain, node->opType)) return "op " + node->opType;
    for (const ir::Graph* body : node->subgraphs())
      if (std::string why = unsupportedReason(*body); !why.empty()) return why;
  }
  for (const ir::Value* v : graph.values())
    if (!v->type.opaqueTypeProto.empty() || (v->type.dtype != ir::DType::Undefined && !computable(v->type.dtype)))
      return "value '" + v->name() + "' of type " + std::string(ir::dtypeName(v->type.dtype));
  return "";
}

Result runTest(const fs::path& dir) {
  ir::Model model;
  try {
    model = ir::loadModel(dir / "model.onnx");
  } catch (const std::exception& e) {
    return {Outcome::Unsupported, std::string("import: ") + e.what()};
  }
  if (std::string why = unsupportedReason(*model.graph); !why.empty()) return {Outcome::Unsupported, why};
  std::vector<const ir::Value*> inputs;
  for (const ir::Value* v : model.graph->inputs())
    if (!v->isInitializer()) inputs.push_back(v);
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (!entry.is_directory() || entry.path().filename().string().rfind("test_data_set_", 0) != 0) continue;
    try {
      runtime::TestDataSet data = runtime::loadTestDataSet(entry.path());
      runtime::TensorMap feed;
      for (size_t i = 0; i < data.inputs.size() && i < inputs.size(); ++i) feed[inputs[i]->name()] = data.inputs[i];
      runtime::TensorMap outputs = runtime::runReference(model, feed);
      for (size_t i = 0; i < data.outputs.size(); ++i) {
        const std::string& name = model.graph->outputs().at(i)->name();
        runtime::Comparison c = runtime::compareTensors(outputs.at(name), data.outputs[i], kTolerance);
        if (!c.ok)
          return {Outcome::Failed, fmt::format("{}: output '{}' {}", entry.path().filename().string(), name,
                                               c.mismatch.empty() ? fmt::format("max abs error {:.3g}, {} elements off",
                                                                                c.maxAbsError, c.failures)
                                                                  : c.mismatch)};
      }
    } catch (const std::exception& e) {
      return {Outcome::Failed, entry.path().filename().string() + ": " + e.what()};
    }
  }
  return {Outcome::Passed, ""};
}

TEST(Conformance, OnnxBackendTestData) {
  if (!fs::is_directory(kDataRoot)) GTEST_SKIP() << kDataRoot << " is missing (Debian package libonnx-testdata)";
  const std::map<std::string, std::string> expected = loadExpectedFailures();
  std::map<Outcome, int> counts;
  std::map<std::string, int> unsupportedOps;
  int expectedFailures = 0;
  for (const char* suite : kSuites) {
    std::vector<fs::path> tests;
    for (const auto& entry : fs::directory_iterator(kDataRoot / suite))
      if (fs::exists(entry.path() / "model.onnx")) tests.push_back(entry.path());
    std::sort(tests.begin(), tests.end());
    for (const fs::path& dir : tests) {
      const std::string id = std::string(suite) + "/" + dir.filename().string();
      Result r = runTest(dir);
      ++counts[r.outcome];
      bool listed = expected.count(id) != 0;
      if (r.outcome == Outcome::Unsupported) ++unsupportedOps[r.detail];
      if (r.outcome == Outcome::Failed) {
        if (!listed)
          ADD_FAILURE() << id << " failed: " << r.detail;
        else {
          ++expectedFailures;
          fmt::print("expected failure {}: {}\n", id, r.detail);
        }
      }
      if (r.outcome == Outcome::Passed && listed)
        ADD_FAILURE() << id << " is listed as an expected failure but passes: remove it from expected_failures.txt";
    }
  }
  if (std::getenv("CONVOPT_CONFORMANCE_VERBOSE"))
    for (const auto& [why, n] : unsupportedOps) fmt::print("unsupported ({} tests): {}\n", n, why);
  // Worded so that log readers do not take the listed expected failures for
  // failures of this run (those fail the test above).
  fmt::print(
      "conformance summary: {} tests match their expected outputs, {} mismatch ({} of them listed as "
      "expected failures), {} use unsupported ops\n",
      counts[Outcome::Passed], counts[Outcome::Failed], expectedFailures, counts[Outcome::Unsupported]);
}

}  // namespace
}  // namespace convopt
