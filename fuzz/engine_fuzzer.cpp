// libFuzzer target `engine`: structure-aware (fuzz/model_mutator.h) models
// compiled by the JIT engine (the pre-lowering plan, the kernel generators,
// LLVM) and run on seeded inputs. Where the model is cheap and tame enough to
// execute (fuzz_oracles.h) and the reference interpreter runs it, the engine
// must compute the same outputs; a model the engine refuses, compiling or
// running it, must be refused with an InputError. One thread, so a finding replays exactly. The input's
// size picks the Winograd mode (auto, F(2x2,3x3) or F(4x4,3x3) wherever legal),
// so both tiles meet every shape the mutator makes, replayably.
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "codegen/engine/jit_engine.h"
#include "fuzz/fuzz_oracles.h"
#include "fuzz/model_mutator.h"
#include "ir/error.h"

using namespace convopt;

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t maxSize, unsigned seed) {
  return fuzz::mutateSerializedModel(data, size, maxSize, seed);
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::optional<ir::Model> model = fuzz::importedModel(data, size);
  if (!model || !fuzz::executable(*model->graph)) return 0;
  runtime::TensorMap inputs, expected;
  try {
    inputs = fuzz::seededInputs(*model->graph);
    expected = runtime::runReference(*model, inputs);
  } catch (const InputError&) {
    return 0;  // the reference interpreter does not take it: nothing to compare with
  }
  std::unique_ptr<codegen::JitEngine> engine;
  try {
    engine = std::make_unique<codegen::JitEngine>(
        *model, codegen::shapesOf(inputs),
        codegen::EngineOptions{.cpu = "",
                               .threads = 1,
                               .flushDenormals = true,
                               .adaptThreads = false,
                               .winograd = std::array{codegen::WinogradUse::Auto, codegen::WinogradUse::Tile2,
                                                      codegen::WinogradUse::Tile4}[size % 3],
                               .afterPlanningStep = {},
                               .triple = {},
                               .kernelCache = false});  // every input through LLVM; no disk writes
  } catch (const InputError&) {
    return 0;
  }
  runtime::TensorMap actual;
  try {
    actual = engine->run(inputs);
  } catch (const InputError&) {
    return 0;  // refused at run time, clearly (a body's output that breaks its declared shape)
  }
  fuzz::requireSameOutputs(*model->graph, model->defaultOpset(), inputs, expected, actual, "the JIT engine");
  return 0;
}
