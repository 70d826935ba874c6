// A model with a dynamic batch and length runs at every shape it allows: one
// compilation per distinct set of input shapes, reused while cached.
#include "codegen/engine/shape_cached_engine.h"

#include <gtest/gtest.h>

#include "ir/onnx_io.h"
#include "runtime/compare.h"
#include "runtime/random_inputs.h"

namespace convopt::codegen {
namespace {

constexpr const char* kDynamicBatchAndWidth = R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[N,8,6,W] x) => (float[N,8,6,W] y)
<int64[4] wshape = {8, 8, 3, 3}>
{
  w = ConstantOfShape <value = float[1] {0.05}> (wshape)
  c = Conv <pads = [1, 1, 1, 1]> (x, w)
  y = Relu (c)
}
)";

runtime::TensorMap inputsOf(const ir::Model& model, int64_t batch, int64_t width, uint64_t seed) {
  runtime::RandomInputOptions options;
  options.seed = seed;
  options.shapes["x"] = {batch, 8, 6, width};
  return runtime::randomInputs(*model.graph, options);
}

void expectSameAsReference(const ir::Model& model, ShapeCachedEngine& engine, const runtime::TensorMap& inputs) {
  runtime::Comparison c =
      runtime::compareTensors(engine.run(inputs).at("y"), runtime::runReference(model, inputs).at("y"), {});
  EXPECT_TRUE(c.ok) << c.mismatch << " max abs error " << c.maxAbsError;
}

TEST(ShapeCachedEngine, CompilesOncePerDistinctShapeAndMatchesTheReference) {
  ir::Model model = ir::parseModelText(kDynamicBatchAndWidth);
  ShapeCachedEngine engine(model, {"", 1});
  expectSameAsReference(model, engine, inputsOf(model, 1, 7, 1));
  expectSameAsReference(model, engine, inputsOf(model, 3, 7, 2));  // batch > 1
  expectSameAsReference(model, engine, inputsOf(model, 1, 7, 3));  // same shapes as the first: no compile
  expectSameAsReference(model, engine, inputsOf(model, 2, 12, 4));
  EXPECT_EQ(engine.compilations(), 3u);
  EXPECT_EQ(engine.cachedEngines(), 3u);
}

TEST(ShapeCachedEngine, KeepsAtMostItsCapacityDroppingTheLeastRecentlyUsed) {
  ir::Model model = ir::parseModelText(kDynamicBatchAndWidth);
  ShapeCachedEngine engine(model, {"", 1}, 2);
  for (int64_t batch : {1, 2, 1, 3, 1, 2}) engine.run(inputsOf(model, batch, 5, 0));
  // 1 and 2 compiled; 1 reused; 3 evicts 2; 1 reused; 2 compiled again (evicting 3).
  EXPECT_EQ(engine.compilations(), 4u);
  EXPECT_EQ(engine.cachedEngines(), 2u);
}

}  // namespace
}  // namespace convopt::codegen
