#include "codegen/aot/body_programs.h"

#include <fmt/format.h>

#include "ir/error.h"
#include "ir/printer.h"

namespace convopt::codegen {
namespace {

const ir::ValueType& fixedType(const ir::Node& node, const ir::Value* value, const char* what) {
  if (!value->type.hasStaticShape() || ir::elementSize(value->type.dtype) == 0)
    throwInputError("node {} ({}): {} '{}' is {}: a compiled artifact needs it to have a fixed shape", node.label(),
                    node.opType, what, value->name(), ir::typeText(value->type));
  return value->type;
}

void expectType(const ir::Node& node, const std::string& scope, const ir::Value* value, const ir::ValueType& type,
                const char* what) {
  if (value->type != type)
    throwInputError("node {} ({}): {} gives {} '{}' as {} where {} is needed: a compiled artifact needs fixed shapes",
                    node.label(), node.opType, scope, what, value->name(), ir::typeText(value->type),
                    ir::typeText(type));
}

// The body as a model of its own, its node's inputs typed as `node` feeds them.
ir::Model bodyModel(const LoweredModel& outer, const ir::Node& node, const ir::Graph& body) {
  ir::Model alone = outer.model.bodyAsModel(body);
  if (node.opType != "Loop") return alone;  // an If's branches take nothing but captures
  const std::vector<ir::Value*>& inputs = alone.graph->inputs();
  if (inputs.size() < node.inputs().size())
    throwInputError("node {} (Loop): its body takes {} inputs, fewer than the Loop's {}", node.label(), inputs.size(),
                    node.inputs().size());
  inputs[0]->type = ir::ValueType::tensor(ir::DType::Int64, {});
  inputs[1]->type = ir::ValueType::tensor(ir::DType::Bool, {});
  for (size_t i = 2; i < node.inputs().size(); ++i) inputs[i]->type = fixedType(node, node.input(i), "carried value");
  return alone;
}

// The body's outputs against what its node makes of them.
void checkOutputs(const ir::Node& node, const std::string& scope, const ir::Graph& body) {
  const std::vector<ir::Value*>& outputs = body.outputs();
  if (node.opType == "If") {
    for (size_t i = 0; i < node.outputs().size() && i < outputs.size(); ++i)
      expectType(node, scope, outputs[i], fixedType(node, node.output(i), "output"), "output");
    return;
  }
  for (size_t i = 2; i < node.inputs().size(); ++i)
    expectType(node, scope, outputs.at(i - 1), body.inputs()[i]->type, "carried value");
}

class BodyLowering {
 public:
  BodyLowering(const Target& target, KernelModule& module, BodyPrograms& result)
      : target_(target), module_(module), result_(result) {}

  void lowerBodiesOf(const LoweredModel& outer, const std::string& scope) {
    for (const Step& step : outer.program.steps) {
      if (step.kind != Step::Kind::Fallback || !runsCompiledBodies(*step.node)) continue;
      for (const ir::Attribute& attribute : step.node->attributes)
        for (const ir::Subgraph& body : attribute.graphs)
          lowerBody(outer, *step.node, *body, step.node->bodyScope(scope, attribute.name));
    }
  }

 private:
  void lowerBody(const LoweredModel& outer, const ir::Node& node, const ir::Graph& body, const std::string& scope) {
    int index = int(result_.bodies.size());
    std::string prefix = fmt::format("b{}k", index);  // kernels b0k0_..., unlike the model's k0_...
    result_.bodies.push_back({scope, lowerModel(bodyModel(outer, node, body), {}, target_, {}, {&module_, prefix})});
    result_.index[&body] = index;
    const LoweredModel& lowered = result_.bodies.back().lowered;
    checkOutputs(node, scope, *lowered.model.graph);
    lowerBodiesOf(lowered, scope);
  }

  const Target& target_;
  KernelModule& module_;
  BodyPrograms& result_;
};

}  // namespace

bool runsCompiledBodies(const ir::Node& node) {
  return node.domain.empty() && (node.opType == "If" || node.opType == "Loop");
}

BodyPrograms lowerBodies(const LoweredModel& model, const Target& target, KernelModule& module) {
  BodyPrograms result;
  BodyLowering(target, module, result).lowerBodiesOf(model, "");
  return result;
}

}  // namespace convopt::codegen
