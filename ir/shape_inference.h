// Shape and type inference: ONNX's own (libonnx) where it applies, then the
// project's rules for the ops passes and codegen rely on, so that models with
// opsets newer than libonnx knows still get shapes.
#pragma once
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ir/graph.h"

namespace convopt::ir {

enum class ShapeEngines {
  OnnxThenRules,  // the normal mode
  RulesOnly,      // the project's rules alone: what a model of an unknown opset gets
};

// Fills Value::type for every value it can (never marking it as value_info, so
// export is unchanged). Throws InputError naming the node
// when shapes contradict the op (e.g. a Conv weight that does not fit its input
// channels and group).
void inferShapes(Model& model, ShapeEngines engines = ShapeEngines::OnnxThenRules);

// Runs inference on a copy, only for its checks (InputError naming the node):
// for commands that must reject contradictory shapes but write the model as is.
void checkShapes(const Model& model);

// Fixes a graph input's dims from "NAME=1x3x48x192" (run before inferShapes),
// for models with dynamic input dims. InputError on a malformed spec, an
// unknown input, a rank mismatch or a dim that contradicts a static one.
void applyInputShape(Model& model, std::string_view spec);

// Static dims by value name, bodies included.
using ShapesByName = std::unordered_map<std::string, std::vector<int64_t>>;

// The static shapes `model` has once `inputShapes` ("NAME=1x3x48x192", as
// applyInputShape) fix its dynamic input dims, computed on a copy: what a
// model that keeps its dynamic dims would have at those sizes (for costing and
// verifying at them). The same InputErrors as applyInputShape and inferShapes.
ShapesByName staticShapesAt(const Model& model, const std::vector<std::string>& inputShapes);

// Applies each "NAME=1x3x48x192" spec to the model (applyInputShape), then
// returns the static shape of every input a run feeds (initializers are not):
// what a compiled engine is specialised to. InputError naming an input whose
// dims stay dynamic.
std::map<std::string, std::vector<int64_t>> fixInputShapes(Model& model, const std::vector<std::string>& specs);

}  // namespace convopt::ir
