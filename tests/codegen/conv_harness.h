// Test harness for the conv kernels: generate one layer's kernel for a target,
// run it on NCHW data (reordered to and from the blocked layout, the input only
// unless the plan reads it plain) splitting its
// work range in two calls, and return the NCHW output.
#pragma once
#include <random>
#include <vector>

#include "codegen/conv/conv_plan.h"
#include "codegen/engine/target.h"

namespace convopt::codegen::testing {

struct ConvData {
  std::vector<float> input, weights, bias;
  std::vector<std::vector<float>> residuals;  // one per AddResidual step, NCHW like the output
};

ConvData randomConvData(const ConvSpec& spec, std::mt19937& rng);
std::vector<float> runGeneratedConv(const ConvSpec& spec, const ConvPlan& plan, const Target& target,
                                    const ConvData& data);

}  // namespace convopt::codegen::testing
