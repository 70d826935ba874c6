// What the convolution passes share: reading a Conv whose weight is a
// constant, its geometry for the cost model, and small graph predicates.
#pragma once
#include <Eigen/Core>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "ir/status.h"
#include "passes/cost_model.h"
#include "passes/pass.h"

namespace convopt::passes {

// The constant behind a value: an initializer no caller can override
// (ir::Value::isConstant: below IR version 4 initializer inputs are constants,
// from IR 4 on a graph input's initializer is only a default).
const ir::Tensor* constantTensor(const ir::Value* value);
// Exactly one node reads the value and it is not a graph output.
bool hasSingleUse(const ir::Value* value);

// A Conv (default domain) with a constant float weight and optional constant bias.
struct ConstantConv {
  ir::Node* node = nullptr;
  const ir::Tensor* weight = nullptr;
  const ir::Tensor* bias = nullptr;  // nullptr when absent
  int64_t outChannels = 0;
  int64_t inPerGroup = 0;  // weight dim 1
  int64_t group = 1;
  int64_t kernelElements = 1;

  int64_t inChannels() const { return inPerGroup * group; }
};

// The node read as a ConstantConv, or why it is not a Conv with constant float
// weights (the rejection reason).
Expected<ConstantConv> matchConstantConv(ir::Node& node);

// The value's static dims, else those it has at options.costingShapes (empty when neither).
std::vector<int64_t> costingDims(const ir::Value* value, const PassOptions& options);
// Geometry for the cost model; sizes from the value shapes when static, else
// from options.costingShapes.
ConvGeometry geometryOf(const ConstantConv& conv, const PassOptions& options);
// The same conv with another channel structure (the rewrite's replacement).
ConvGeometry withStructure(ConvGeometry g, int64_t inChannels, int64_t outChannels, int64_t group,
                           int64_t kernelElements, bool hasBias);
// The cost model's time for the convs, one after the other.
double convsSeconds(const CostModel& cost, const std::vector<ConvGeometry>& convs);
ConvFigures figuresOf(const CostModel& cost, const std::vector<ConvGeometry>& convs, double extraSeconds = 0);

// Singular values (descending) above `tolerance` times the largest: the rank
// the SVD-based rewrites count.
int64_t numericalRank(const Eigen::VectorXd& singularValues, double tolerance);

// Largest |a - b| over max |a| (0 for an all-zero a): the reconstruction error.
double relativeMaxError(const std::vector<double>& original, const std::vector<double>& rebuilt);

// A new float initializer named after `base`.
ir::Value* addFloatInitializer(ir::Graph& graph, const std::string& base, std::vector<int64_t> dims,
                               const std::vector<float>& values);

// Appends a line to the node's doc_string saying what it was rewritten from.
void noteRewrite(ir::Node& node, std::string_view passName, const std::string& what);
// What a structural rewrite's doc_string says: the original kind, the structure
// found, the reconstruction error and the cost model's estimate (and whether
// only --force made it apply).
std::string structuralNote(const RewriteRecord& record, const PassOptions& options);

}  // namespace convopt::passes
