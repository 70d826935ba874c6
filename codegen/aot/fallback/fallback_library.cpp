// libconvopt_fallback: the C ABI of convopt_fallback.h over the reference
// interpreter. A loaded node is its one-node model imported into the IR; a
// run copies the input buffers into tensors, runs the node exactly as the JIT
// engine's fallback step does (runtime::runNodeReference) and copies the
// outputs out. No exception crosses the C boundary.
#include "codegen/aot/fallback/convopt_fallback.h"

#include <fmt/format.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "ir/onnx_io.h"
#include "runtime/reference/interpreter.h"

#define EXPORT __attribute__((visibility("default")))

struct convopt_fallback_node {
  convopt::ir::Model model;
  const convopt::ir::Node* node = nullptr;
  std::vector<const convopt::ir::Value*> inputs;  // the buffers `run` reads, in order
  // Per node input: the index of its buffer in `inputs`, or -1 (omitted, or an initializer).
  std::vector<int> inputBuffer;
  // Per graph output (the buffers `run` writes): the node output it is, and its bytes.
  std::vector<size_t> outputIndex, outputBytes;
  int64_t opset = 0;
};

namespace {
using namespace convopt;

thread_local std::string lastError;

int fail(const std::string& message) {
  lastError = message;
  return 1;
}

template <typename F>
int guarded(F&& body) {
  try {
    body();
    lastError.clear();
    return 0;
  } catch (const std::exception& error) {
    return fail(error.what());
  } catch (...) {
    return fail("unknown error");
  }
}

size_t byteSize(const ir::Value* value) {
  if (!value->type.hasStaticShape()) throw std::runtime_error("'" + value->name() + "' has no fixed shape");
  return size_t(ir::checkedElementCount(value->type.staticShape(), value->name())) * ir::elementSize(value->type.dtype);
}

// Parses and checks the node's model and resolves, once, where `run` finds each tensor.
void load(convopt_fallback_node& loaded, const void* bytes, size_t size) {
  onnx::ModelProto proto;
  if (!proto.ParseFromArray(bytes, int(size))) throw std::runtime_error("the node's model does not parse as ONNX");
  loaded.model = ir::importModel(proto, {});
  const ir::Graph& graph = *loaded.model.graph;
  if (graph.numNodes() != 1)
    throw std::runtime_error(fmt::format("a fallback model has one node, not {}", graph.numNodes()));
  loaded.node = graph.nodes().front();
  for (const ir::Value* input : graph.inputs()) {
    if (input->isInitializer()) continue;
    byteSize(input);  // throws unless its shape is fixed
    loaded.inputs.push_back(input);
  }
  for (const ir::Value* input : loaded.node->inputs()) {
    auto at = std::find(loaded.inputs.begin(), loaded.inputs.end(), input);
    loaded.inputBuffer.push_back(input && !input->initializer() ? int(at - loaded.inputs.begin()) : -1);
  }
  for (const ir::Value* output : graph.outputs()) {
    const std::vector<ir::Value*>& produced = loaded.node->outputs();
    loaded.outputIndex.push_back(size_t(std::find(produced.begin(), produced.end(), output) - produced.begin()));
    loaded.outputBytes.push_back(byteSize(output));
  }
  loaded.opset = loaded.model.defaultOpset();
}

void run(const convopt_fallback_node& loaded, const void* const* buffers, void* const* outputs) {
  const ir::Node& node = *loaded.node;
  std::vector<ir::Tensor> fed;
  fed.reserve(loaded.inputs.size());
  for (size_t i = 0; i < loaded.inputs.size(); ++i) {
    const ir::Value* input = loaded.inputs[i];
    fed.emplace_back(input->type.dtype, input->type.staticShape());
    std::memcpy(fed.back().mutableBytes().data(), buffers[i], fed.back().byteSize());
  }
  std::vector<const ir::Tensor*> inputs;
  for (size_t i = 0; i < node.inputs().size(); ++i)
    inputs.push_back(loaded.inputBuffer[i] >= 0 ? &fed[size_t(loaded.inputBuffer[i])]
                     : node.input(i)            ? node.input(i)->initializer()
                                                : nullptr);
  std::vector<ir::Tensor> results = runtime::runNodeReference(node, inputs, loaded.opset);
  for (size_t i = 0; i < loaded.outputIndex.size(); ++i) {
    size_t at = loaded.outputIndex[i];
    if (at >= results.size() || results[at].byteSize() != loaded.outputBytes[i])
      throw std::runtime_error(fmt::format("node {}: output '{}' does not have its compiled size", node.label(),
                                           loaded.model.graph->outputs()[i]->name()));
    std::memcpy(outputs[i], results[at].bytes().data(), results[at].byteSize());
  }
}

}  // namespace

extern "C" {

EXPORT int convopt_fallback_load(int abi_version, const void* onnx_model, size_t bytes, convopt_fallback_node** out) {
  if (!out || (!onnx_model && bytes)) return fail("convopt_fallback_load: null argument");
  *out = nullptr;
  if (abi_version != CONVOPT_FALLBACK_ABI_VERSION)
    return fail(fmt::format("the artifact was compiled for fallback ABI {}, this library is ABI {}", abi_version,
                            CONVOPT_FALLBACK_ABI_VERSION));
  auto* loaded = new (std::nothrow) convopt_fallback_node;
  if (!loaded) return fail("out of memory");
  int status = guarded([&] { load(*loaded, onnx_model, bytes); });
  if (status != 0)
    delete loaded;
  else
    *out = loaded;
  return status;
}

EXPORT int convopt_fallback_run(const convopt_fallback_node* node, const void* const* inputs, void* const* outputs) {
  if (!node || (!inputs && !node->inputs.empty()) || !outputs) return fail("convopt_fallback_run: null argument");
  return guarded([&] { run(*node, inputs, outputs); });
}

EXPORT void convopt_fallback_free(convopt_fallback_node* node) { delete node; }

EXPORT const char* convopt_fallback_last_error(void) { return lastError.c_str(); }
}
