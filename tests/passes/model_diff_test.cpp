// inspect --diff: removed / added / changed nodes and totals between two models.
#include "passes/model_diff.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "ir/onnx_io.h"
#include "ir/shape_inference.h"

namespace convopt::passes {
namespace {

ir::Model parsed(const char* text) {
  ir::Model m = ir::parseModelText(text);
  ir::inferShapes(m);
  return m;
}

TEST(ModelDiff, ReportsRemovedAddedChangedAndTotals) {
  ir::Model before = parsed(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,4,3,3] x) => (float[1,4,3,3] z)
<float[4,4,1,1] w = {1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 5, 6, 0, 0, 7, 8}>
{
  a = Identity (x)
  y = Conv (a, w)
  z = Relu (y)
}
)");
  ir::Model after = parsed(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,4,3,3] x) => (float[1,4,3,3] z)
<float[4,2,1,1] wg = {1, 2, 3, 4, 5, 6, 7, 8}>
{
  y = Conv <group = 2> (x, wg)
  z = Relu (y)
  n = Neg (z)
}
)");
  ModelDiff diff = diffModels(before, after);
  EXPECT_EQ(modelDiffToText(diff), R"(nodes:  3 -> 3 (removed 1, added 1, changed 1)
params: 16 -> 8
MACs:   144 -> 72
convs:  pointwise 1 -> 0, grouped 0 -> 1
- a = Identity(x)
+ n = Neg(z)
~ y = Conv(x, wg[4,2,1,1]) <group = 2>
    (absent) -> group = 2
    input 0: a -> x
    input 1: w[4,4,1,1] -> wg[4,2,1,1]
)");
  nlohmann::json json = modelDiffToJson(diff);
  EXPECT_EQ(json["totals"]["before"]["pointwise"], 1);
  EXPECT_EQ(json["totals"]["after"]["grouped"], 1);
  EXPECT_EQ(json["changed"][0]["output"], "y");
}

}  // namespace
}  // namespace convopt::passes
