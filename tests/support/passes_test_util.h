// Helpers for pass tests: run passes on an ONNX-text model, compare IR dumps,
// check numerics against the reference interpreter.
#pragma once
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "passes/pass.h"

namespace convopt::passes::testing {

struct PassRun {
  ir::Model before;  // as parsed, shapes inferred
  ir::Model after;
  std::string beforeText;  // printModel(before): what "unchanged" looks like
  PassStatistics stats;    // of the first pass (the one under test; later ones clean up)
  std::string afterText;   // printModel(after)
};

// Parses `text`, infers shapes, runs the comma-separated passes (the pass
// manager verifies after each).
PassRun runPasses(const std::string& passes, const std::string& text, const PassOptions& options = {});

// Options with --force: the rewrite applies whatever the cost model says.
PassOptions forcedOptions();

// The reason recorded for `node` by the pass ("" if none).
std::string rejectionFor(const PassStatistics& stats, const std::string& node);

// printModel with every initializer summarised as a comment (for rewrites whose
// weights come out of an SVD: numerics check their values).
std::string printedStructure(const ir::Model& model);

// A legality condition's negative case for a pass that reads one Conv(y).
struct ConvRejection {
  const char* name;    // the test's name
  const char* text;    // the model
  const char* reason;  // what the pass says about Conv(y)
};

// Runs `pass` with --force on the case's model: the model is unchanged and
// Conv(y) rejected for the case's reason.
void expectConvRejected(const std::string& pass, const ConvRejection& rejection);

// Before and after agree on seeded random inputs (reference interpreter).
::testing::AssertionResult numericallyEquivalent(const PassRun& run, uint64_t seed = 7);

}  // namespace convopt::passes::testing
