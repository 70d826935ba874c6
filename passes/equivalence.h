// Numerical equivalence of two versions of a model: both run through the
// reference interpreter on the same seeded random inputs. This is
// `convopt optimize --verify` and the numeric half of every pass test.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "ir/shape_inference.h"
#include "runtime/random_inputs.h"

namespace convopt::passes {

struct EquivalenceOptions {
  uint64_t seed = 1;
  // Outputs agree elementwise: |after - before| <= tolerance * (|before| + max(max |before|, 1)),
  // i.e. allclose with rtol = tolerance and atol scaled to the output's magnitude.
  double tolerance = 1e-4;
  // Dims for a dynamic graph input's random data: dim 0 (batch) becomes 1,
  // channels what the nodes reading it need, every other dynamic dim this size
  // or what a window reading it spans (1 would not fit most pooling windows;
  // passes/seeded_dims.h).
  int64_t dynamicDim = 64;
  // Dims by input name that replace the above (`optimize --input-shape`).
  ir::ShapesByName inputShapes;
  // Tensors by input name used instead of random ones (`optimize --verify-inputs`).
  std::map<std::string, ir::Tensor> inputs;
};

struct OutputDifference {
  std::string output;
  double maxAbsDiff = 0;
  double scale = 0;  // max |before|
  bool withinTolerance = true;
};

struct EquivalenceResult {
  std::vector<OutputDifference> outputs;
  std::vector<std::string> sizedDims;  // the dynamic input dims given a size ("'x' dim 0 = 1")
  bool equivalent() const;
  std::string summary() const;  // one line per output
};

// The inputs compareModels runs both graphs on: `options.inputs`, else seeded
// random tensors of the inputs' shapes (dynamic dims as the options say, each
// so sized noted in `sized` when given).
runtime::TensorMap equivalenceInputs(const ir::Graph& graph, const EquivalenceOptions& options,
                                     std::vector<std::string>* sized = nullptr);

// Throws InputError when an input's dtype cannot be generated or the
// interpreter rejects a graph.
// `opset` is the model's default-domain opset (ops such as ReduceMean changed
// their signature across opsets).
EquivalenceResult compareModels(const ir::Graph& before, const ir::Graph& after, int64_t opset,
                                const EquivalenceOptions& options = {});

}  // namespace convopt::passes
