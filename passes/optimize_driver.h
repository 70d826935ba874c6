// What `convopt optimize` does between reading a model and writing it, as a
// library call the CLI and the Python package share: run a pass pipeline,
// verify the result against the original on the reference interpreter (the
// whole model, or each rewrite alone where it cannot run), and build the
// report (`--report` JSON). Progress goes to `log` as the CLI prints it.
#pragma once
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ir/graph.h"
#include "passes/approx/approximate_rewrites.h"
#include "passes/equivalence.h"
#include "passes/pass.h"

namespace convopt::passes {

struct OptimizeRequest {
  std::optional<std::vector<std::string>> pipeline;  // pass names; none: the default pipeline
  // NAME=1x3x224x224 dims of dynamic inputs: for the cost model and the check,
  // or written into the model with `freezeShapes`.
  std::vector<std::string> inputShapes;
  bool freezeShapes = false;
  bool verify = true;
  bool verifyLocal = false;        // each rewrite alone even where the whole model runs
  std::string verifyInputsSource;  // where EquivalenceOptions::inputs came from, for the log
  bool explain = false;            // every rejected candidate in the log
  PassOptions pass;
  EquivalenceOptions equivalence;
  // `--approx BUDGET`: project nearly structured weights first (approximate_rewrites.h);
  // the check then compares the result with the projected model, and the
  // report says what the approximation cost.
  std::optional<ApproxRequest> approx;
  std::function<void(std::string_view pass, const ir::Model&)> afterPass;  // --print-after-all
};

struct OptimizeOutcome {
  std::vector<PassStatistics> stats;
  nlohmann::json report;   // the `--report` JSON
  bool equivalent = true;  // false: the check found outputs beyond tolerance
};

// Rewrites `model` in place. Throws InputError for a bad model, bad shapes or a
// check that cannot run (naming the rewrite); a failed check is not an error
// here but `equivalent == false`, and the caller must not keep the model.
OptimizeOutcome optimizeModel(ir::Model& model, const OptimizeRequest& request, std::ostream& log);

}  // namespace convopt::passes
