// A stable, diffable text dump of a model in ONNX's text syntax, so that a dump
// of a small model parses back (parseModelText) and tests can compare dumps.
// Node names, which the syntax has no place for, are trailing comments.
#pragma once
#include <string>

#include "ir/graph.h"

namespace convopt::ir {

struct PrintOptions {
  // Initializers with more elements are summarised in a comment instead of
  // printed in full (then the text no longer parses back).
  int64_t maxInlineElements = 64;
};

// "float[1,3,N,?]": dtype and dims (symbolic by name, unknown as '?').
std::string typeText(const ValueType& type);
std::string printModel(const Model& model, const PrintOptions& options = {});
std::string printGraph(const Graph& graph, const PrintOptions& options = {});

}  // namespace convopt::ir
