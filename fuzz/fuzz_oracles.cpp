#include "fuzz/fuzz_oracles.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>
#include <onnx/onnx_pb.h>

#include "ir/error.h"
#include "ir/memory_limit.h"
#include "ir/onnx_io.h"
#include "ir/shape_inference.h"
#include "ir/verifier.h"
#include "runtime/compare.h"
#include "runtime/random_inputs.h"

namespace convopt::fuzz {
namespace {

const std::filesystem::path& emptyFolder() {
  static const std::filesystem::path folder = [] {
    std::filesystem::path path = std::filesystem::temp_directory_path() / "convopt-fuzzer-empty";
    std::filesystem::create_directories(path);
    return path;
  }();
  return folder;
}

constexpr int64_t kMaxElements = int64_t(1) << 16;
constexpr int64_t kMaxMultiplyAdds = int64_t(1) << 22;
constexpr int64_t kMaxTrips = 16;

int64_t elements(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n = d > kMaxElements ? kMaxElements + 1 : std::min(n * d, kMaxElements + 1);
  return n;
}

// Multiply-adds of a Conv/ConvTranspose/MatMul/Gemm: output elements times the
// weight's elements per output channel (bounded; 0 for other ops).
int64_t multiplyAdds(const ir::Node& node) {
  if (node.opType != "Conv" && node.opType != "ConvTranspose" && node.opType != "MatMul" && node.opType != "Gemm")
    return 0;
  if (node.inputs().size() < 2 || !node.input(1) || !node.input(1)->type.hasStaticShape() || node.outputs().empty() ||
      !node.output(0))  // a schema of an opset libonnx does not know leaves such nodes unchecked
    return kMaxMultiplyAdds + 1;
  int64_t weight = elements(node.input(1)->type.staticShape());
  int64_t output = elements(node.output(0)->type.staticShape());
  return output * weight;  // both <= 2^16 + 1: no overflow
}

bool tameInitializer(const ir::Value& value) {
  const ir::Tensor& t = *value.initializer();
  if (t.dtype() != ir::DType::Float) return true;
  std::vector<float> data = t.toFloatVector();
  return std::all_of(data.begin(), data.end(), [](float x) { return std::isfinite(x) && std::fabs(x) < 1e4f; });
}

}  // namespace

void finding(const std::string& message) {
  std::fputs(("convopt fuzz finding: " + message + "\n").c_str(), stderr);
  std::abort();
}

std::optional<ir::Model> importedModel(const uint8_t* data, size_t size) {
  // The targets run under -rss_limit_mb=2048: convopt's own limit (what --max-memory sets) keeps
  // each tensor well below it, so a model needing more is the InputError a user would get. Low,
  // because inputs that allocate megabytes are slow under ASan (its allocator maps and unmaps
  // each) and take over a long run's corpus: at 256 MiB the pipeline target fell from about 600
  // to 20 executions per second in 7 minutes.
  static const bool limited = (ir::setMemoryLimit(uint64_t(16) << 20), true);
  (void)limited;
  onnx::ModelProto proto;
  if (!proto.ParseFromArray(data, int(size)) || !proto.has_graph()) return std::nullopt;
  try {
    ir::Model model = ir::importModel(proto, emptyFolder());
    ir::verifyGraph(*model.graph);
    ir::inferShapes(model);
    return model;
  } catch (const InputError&) {
    return std::nullopt;
  }
}

// A Loop whose trip count is a constant of at most kMaxTrips (each trip runs its body).
bool fewTrips(const ir::Node& node) {
  if (node.opType != "Loop") return true;
  const ir::Value* trips = node.inputs().empty() ? nullptr : node.input(0);
  const ir::Tensor* count = trips && trips->isConstant() ? trips->initializer() : nullptr;
  if (!count || count->numel() != 1) return false;
  int64_t n = count->toInt64Vector()[0];
  return n >= 0 && n <= kMaxTrips;
}

bool executable(const ir::Graph& graph) {
  for (const ir::Value* value : graph.values()) {
    if (value->isCapture()) continue;  // its definition is checked where it is defined
    if (!value->type.hasStaticShape() || elements(value->type.staticShape()) > kMaxElements) return false;
    if (value->isInitializer() && !tameInitializer(*value)) return false;
  }
  for (const ir::Node* node : graph.nodes()) {
    if (multiplyAdds(*node) > kMaxMultiplyAdds || !fewTrips(*node)) return false;
    for (const ir::Graph* body : node->subgraphs())
      if (!executable(*body)) return false;
  }
  return !graph.outputs().empty();
}

runtime::TensorMap seededInputs(const ir::Graph& graph) {
  return runtime::randomInputs(graph, {.seed = 1, .shapes = {}, .dimParams = {}});
}

namespace {

bool allFinite(const ir::Tensor& tensor) {
  if (tensor.dtype() != ir::DType::Float && tensor.dtype() != ir::DType::Double) return true;
  std::vector<float> values = tensor.toFloatVector();
  return std::all_of(values.begin(), values.end(), [](float x) { return std::isfinite(x); });
}

// Whether the reference run computes a non-finite value, in the graph or its bodies.
bool computesNonFinite(const ir::Graph& graph, int64_t opset, const runtime::TensorMap& inputs) {
  bool finite = true;
  runtime::ValueObserver observe = [&](const ir::Value&, const ir::Tensor& t) { finite = finite && allFinite(t); };
  runtime::runReference(graph, inputs, opset, &observe);
  return !finite;
}

}  // namespace

void requireSameOutputs(const ir::Graph& graph, int64_t opset, const runtime::TensorMap& inputs,
                        const runtime::TensorMap& expected, const runtime::TensorMap& actual, const std::string& what) {
  for (const auto& [name, reference] : expected) {
    auto it = actual.find(name);
    if (it == actual.end()) finding(fmt::format("{}: output '{}' missing", what, name));
    if (!allFinite(reference)) continue;
    std::vector<float> values = reference.toFloatVector();
    double scale = 1;
    for (float x : values) scale = std::max(scale, double(std::fabs(x)));
    runtime::Comparison c = runtime::compareTensors(it->second, reference, {.rtol = 1e-3, .atol = 1e-3 * scale});
    if (!c.ok && !computesNonFinite(graph, opset, inputs))
      finding(fmt::format("{}: output '{}' differs: {} (max |diff| {:g}, {} elements off, max |expected| {:g})", what,
                          name, c.mismatch, c.maxAbsError, c.failures, scale));
  }
}

}  // namespace convopt::fuzz
