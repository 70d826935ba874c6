// libFuzzer target `pipeline`: structure-aware (fuzz/model_mutator.h) models
// through what `convopt optimize` does — import, the default pass pipeline,
// export, import again — with three oracles beyond "no crash":
//   - a model convopt exported imports again and exports to the same bytes;
//   - the passes never leave a graph the verifier rejects (runPipeline throws
//     std::logic_error, which aborts here);
//   - where the model is cheap and tame enough to execute (fuzz_oracles.h),
//     the optimized graph computes what the original did on seeded inputs
//     (the reference interpreter, as `optimize --verify`).
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

#include <onnx/onnx_pb.h>

#include "fuzz/fuzz_oracles.h"
#include "fuzz/model_mutator.h"
#include "ir/error.h"
#include "ir/onnx_io.h"
#include "passes/pass_manager.h"
#include "passes/pipeline.h"

namespace {

using namespace convopt;

std::string exportedBytes(const ir::Model& model) {
  std::string bytes;
  if (!ir::exportModel(model).SerializeToString(&bytes)) fuzz::finding("export produced an unserializable model");
  return bytes;
}

void requireRoundTrip(const ir::Model& optimized) {
  std::string bytes = exportedBytes(optimized);
  std::optional<ir::Model> again = fuzz::importedModel(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  if (!again) fuzz::finding("convopt refused a model it exported itself");
  if (exportedBytes(*again) != bytes) fuzz::finding("export -> import -> export changed the model");
}

void requireSameFunction(const ir::Graph& original, const ir::Model& optimized) {
  if (!fuzz::executable(original)) return;
  runtime::TensorMap inputs, expected;
  try {
    inputs = fuzz::seededInputs(original);
    expected = runtime::runReference(original, inputs, optimized.defaultOpset());
  } catch (const InputError&) {
    return;  // an input type, op or attribute the reference interpreter does not take
  }
  runtime::TensorMap actual = runtime::runReference(*optimized.graph, inputs, optimized.defaultOpset());
  fuzz::requireSameOutputs(original, optimized.defaultOpset(), inputs, expected, actual, "the optimized model");
}

}  // namespace

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t maxSize, unsigned seed) {
  return convopt::fuzz::mutateSerializedModel(data, size, maxSize, seed);
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::optional<ir::Model> model = fuzz::importedModel(data, size);
  if (!model) return 0;
  std::unique_ptr<ir::Graph> original = model->graph->clone();
  try {
    passes::runPipeline(*model, passes::defaultPipelineNames());
  } catch (const InputError&) {
    return 0;
  }
  requireRoundTrip(*model);
  requireSameFunction(*original, *model);
  return 0;
}
