// eliminate-identity: Identity and inference-mode Dropout forward their input.
//
//   Before: y = Identity(x); z = Relu(y)        Before: y = Dropout(x); z = Relu(y)
//   After:  z = Relu(x)                          After:  z = Relu(x)
//
// Legality:
//   - nothing reads another output (an Identity listing two, at an opset libonnx
//     does not check), and no body reading the output defines x's name itself;
//   - if the output is a graph output, the input is the only-used result of a
//     single-output node (which then takes the output's name; see bypass.h);
//   - Dropout: its mask output (if any) is unused, and training_mode (opset 12+
//     input 2) is absent or a constant false; before opset 7, is_test = 1.
#include "ir/tensor.h"
#include "passes/bypass.h"
#include "passes/candidate_loop.h"
#include "passes/conv_utils.h"

namespace convopt::passes {
namespace {

bool isCandidate(const ir::Node& node) {
  return node.domain.empty() && (node.opType == "Identity" || node.opType == "Dropout");
}

Status checkInferenceDropout(const ir::Node& node, int64_t opset) {
  if (node.outputs().size() > 1 && node.output(1) && (node.output(1)->hasUses() || node.output(1)->isGraphOutput()))
    return Status::refuse("Dropout mask output is used");
  if (opset < 7 && node.getInt("is_test", 0) == 0)
    return Status::refuse("Dropout is_test = 0 (training mode, opset < 7)");
  if (const ir::Value* training = node.input(2)) {
    const ir::Tensor* flag = constantTensor(training);
    if (!flag) return Status::refuse("Dropout training_mode is not a constant");
    if (flag->toInt64Vector().at(0) != 0) return Status::refuse("Dropout training_mode is true");
  }
  return Status::success();
}

Status checkForwarding(const ir::Node& node, int64_t opset) {
  if (node.outputs().empty() || !node.output(0)) return Status::refuse("has no output");
  if (!node.input(0)) return Status::refuse("has no input");
  if (node.opType == "Dropout")
    if (Status dropout = checkInferenceDropout(node, opset); !dropout) return dropout;
  return checkBypassable(node, node.input(0));
}

class EliminateIdentityPass final : public Pass {
 public:
  std::string_view name() const override { return "eliminate-identity"; }

  void run(ir::Graph& graph, PassContext& context) override {
    rewriteCandidates(
        graph, context, isCandidate,
        [&](ir::Node& node) { return checkForwarding(node, context.model.defaultOpset()); },
        [&](ir::Node& node) { bypassNode(graph, &node, node.input(0)); });
  }
};

}  // namespace

std::unique_ptr<Pass> createEliminateIdentityPass() { return std::make_unique<EliminateIdentityPass>(); }

}  // namespace convopt::passes
