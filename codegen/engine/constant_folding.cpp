#include "codegen/engine/constant_folding.h"

#include "passes/pass_manager.h"

namespace convopt::codegen {

// The engines keep every constant in memory (packed, as kernel operands) and
// need constant weights, so they fold past optimize's growth guard; beyond
// this a value stays a node (it runs each inference instead).
constexpr size_t kEngineFoldGrowthBytes = size_t(256) << 20;

void foldConstantsAndInferShapes(ir::Model& model) {
  passes::PassManagerOptions options;
  options.pass.maxFoldGrowthBytes = kEngineFoldGrowthBytes;
  // runPipeline infers shapes before the pass and again after it changed the
  // graph; a fold can make more shapes static, and those more nodes constant.
  while (passes::runPipeline(model, {"fold-constants"}, options).front().rewritten > 0) {
  }
}

}  // namespace convopt::codegen
