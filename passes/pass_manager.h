// Runs a pipeline of named passes over a model: the verifier after every pass,
// statistics per pass, and an optional hook that sees the IR after each pass
// (`--print-after-all`).
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "passes/pass.h"

namespace convopt::passes {

struct PassManagerOptions {
  PassOptions pass;
  // Called after each pass has run and the graph verified.
  std::function<void(std::string_view passName, const ir::Model&)> afterPass;
};

// Verifies the model and infers shapes, then runs the named passes in order,
// re-inferring shapes after a pass that changed the graph (and the shapes at
// PassOptions::costingInputShapes, when given). A pass that leaves a graph the verifier
// rejects is an internal error (std::logic_error naming the pass); a type conflict the
// re-inference finds is an InputError naming the node and the pass (the input's own conflict,
// hidden while its shapes were unknown, or one a pass made: the equivalence checks tell).
std::vector<PassStatistics> runPipeline(ir::Model& model, const std::vector<std::string>& passNames,
                                        const PassManagerOptions& options = {});

// One line per pass: matched / rewritten / rejected counts and time; with
// `explain`, every rejection as "  node: reason" below its pass.
std::string formatStatistics(const std::vector<PassStatistics>& stats, bool explain);

}  // namespace convopt::passes
