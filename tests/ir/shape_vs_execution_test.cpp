// Inferred shapes are what execution produces: every shared model of modest
// size is run node by node through the reference interpreter on its golden
// input, and each output's actual dims must equal the inferred static shape.
#include <gtest/gtest.h>

#include "ir/shape_inference.h"
#include "runtime/reference/interpreter.h"
#include "runtime/tensor_file.h"
#include "tests/support/ir_shared_models.h"

namespace convopt::ir {
namespace {

// Keeps the suite fast: the reference interpreter is plain loops.
constexpr double kMaxConvGmac = 0.7;

TEST(ShapeInference, MatchesExecutedShapesOnSharedModels) {
  int modelsChecked = 0;
  for (const auto& shared : testing::sharedModels()) {
    if (shared.convGmac > kMaxConvGmac) continue;
    SCOPED_TRACE(shared.name);
    Model model = testing::loadSharedModelWithInputShape(shared);
    inferShapes(model);
    runtime::TestDataSet data = runtime::loadTestDataSet(shared.dir / "test_data_set_0");
    std::map<const Value*, Tensor> computed;
    const Value* input = nullptr;
    for (const Value* v : model.graph->inputs())
      if (!v->isInitializer()) input = v;
    computed[input] = data.inputs.at(0);
    int64_t opset = model.defaultOpset();
    size_t valuesChecked = 0;
    for (const Node* n : model.graph->nodes()) {
      std::vector<const Tensor*> args;
      for (const Value* in : n->inputs())
        args.push_back(!in ? nullptr : in->initializer() ? in->initializer() : &computed.at(in));
      std::vector<Tensor> outs = runtime::runNodeReference(*n, args, opset);
      for (size_t i = 0; i < outs.size(); ++i) {
        const Value* out = n->output(i);
        if (!out) continue;
        ASSERT_TRUE(out->type.hasStaticShape()) << n->label() << " output '" << out->name() << "' not inferred";
        EXPECT_EQ(out->type.staticShape(), outs[i].dims()) << n->label() << " output '" << out->name() << "'";
        ++valuesChecked;
        computed[out] = std::move(outs[i]);
      }
    }
    EXPECT_GT(valuesChecked, model.graph->numNodes() / 2);
    ++modelsChecked;
  }
  EXPECT_GE(modelsChecked, 8);
}

}  // namespace
}  // namespace convopt::ir
