// Decomposed elementwise patterns that an epilogue (codegen/epilogue.h)
// absorbs as steps, for the epilogue fusion (codegen/epilogue_fusion.cpp):
//   z = Mul(y, c) / Add(y, c) / Sub(y, c) / Sub(c, y) / Div(y, c)
//        c a float constant, one per channel ([C,1,1], [1,C,1,1]) or a scalar
//     -> Affine step x * scale + shift (consecutive ones merge into one)
//   z = BatchNormalization(y, scale, bias, mean, var), inference, constant parameters
//     -> Affine step with scale / sqrt(var + eps) and bias - mean * that
//   z = Mul(y, g(y)), g a chain of scalar affine steps and one Clip(lo = 0):
//        g(y) = s * clip(a*y + b, 0, hi)   (e.g. y * clip(y + 3, 0, 6) / 6)
//     -> HardSwish(alpha = a/hi, beta = b/hi), then Affine(s * hi) unless that is 1
//   z = Mul(y, g(y)), g(y) = s * erf(y / sqrt 2) + s   (the exporters' GELU, before opset 20:
//        Div(y, 1.41421) -> Erf -> Add(1) -> Mul(y, .), then Mul(0.5) as an Affine step)
//     -> Gelu, then Affine(2s) unless that is 1
//   Either with Mul(c * y, g(y)), c * y a scalar Mul of y read by that Mul alone
//   (y * 0.5 * (1 + erf(y / sqrt 2))): s scaled by c.
// Matching mutates nothing.
#pragma once
#include <functional>
#include <optional>
#include <vector>

#include "codegen/builder/epilogue.h"
#include "ir/graph.h"

namespace convopt::codegen {

using ConstantLookup = std::function<const ir::Tensor*(const ir::Value*)>;

// `user` applied to the 4-D value `y` as an Affine step.
std::optional<EpilogueStep> affineStep(const ir::Node& user, const ir::Value* y, const ConstantLookup& constantOf);

// Clip's [min, max]: attributes before opset 11, constant scalar inputs after;
// nullopt for bounds computed at run time or inputs beyond Clip's three.
std::optional<std::pair<float, float>> clipBounds(const ir::Node& clip, const ConstantLookup& constantOf);

// An inference BatchNormalization with constant parameters as an Affine step.
std::optional<EpilogueStep> batchNormStep(const ir::Node& node, const ConstantLookup& constantOf);

// Appends an Affine step, composed with a trailing Affine step if there is one
// (dropped when the composition is the identity).
void appendAffine(Epilogue& epilogue, EpilogueStep step);

struct GatedPattern {
  std::vector<EpilogueStep> steps;
  std::vector<const ir::Node*> nodes;  // the gate chain and the Mul
  const ir::Value* output = nullptr;   // the Mul's
};

std::optional<GatedPattern> decomposedGatedActivation(const ir::Value* y, const ConstantLookup& constantOf);

}  // namespace convopt::codegen
