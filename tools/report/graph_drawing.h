// A graph drawn for the HTML report: DOT text laid out by Graphviz's `dot`
// (Debian graphviz) into SVG, every node an SVG group with a stable id the
// page's script finds (PREFIX-n<i> in node order; PREFIX-in<i> / -out<i> for
// graph inputs and outputs) and classes "op" / "io" plus its mark.
#pragma once
#include <map>
#include <string>

#include "ir/graph.h"

namespace convopt::report {

struct GraphDrawing {
  std::string svg;          // <svg>...</svg>, empty when it could not be drawn
  std::string unavailable;  // why not (dot missing or failing)
};

// `marks` by a node's first output name: a class added to its group
// ("changed", "added", "removed"), which the page highlights.
GraphDrawing drawGraph(const ir::Graph& graph, const std::string& idPrefix,
                       const std::map<std::string, std::string>& marks);

}  // namespace convopt::report
