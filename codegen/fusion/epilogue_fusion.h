// Epilogue fusion: the nodes after a kernel's output that become part of its
// epilogue instead of kernels of their own.
//   y = K(...); z = Act(y)                       -> K with Act      (y used once)
//   y = K(...); z = Add(y, r) / Add(r, y)        -> K with +r       (r same shape, computed before K runs)
//   y = K(...); s = Sigmoid(y); z = Mul(y, s)    -> K with SiLU     (s used once)
//   y = K(...); h = HardSigmoid(y); z = Mul(y, h) -> K with HardSwish(alpha, beta)
//   y = K(...); z = Mul/Add/Sub/Div(y, c)        -> K with Affine   (c per-channel / scalar constant)
//   y = K(...); z = BatchNormalization(y, ...)   -> K with Affine   (inference, constant parameters)
//   y = K(...); z = y * clip(y + 3, 0, 6) / 6    -> K with HardSwish (codegen/epilogue_patterns.h)
// and repeated on z. A graph output is never fused through (it must exist).
// Matching mutates nothing.
#pragma once
#include <functional>
#include <optional>
#include <string>

#include "codegen/fusion/epilogue_patterns.h"
#include "codegen/fusion/fusion_plan.h"

namespace convopt::codegen {

struct EpilogueMatch {
  FusedEpilogue fused;         // nothing fused: no nodes, output the kernel's own
  std::string stoppedBecause;  // why the next node did not fuse
};

// The followers of a kernel's `output` its epilogue computes. `isComputed`
// says whether a value exists (is stored) before the kernel runs.
EpilogueMatch fuseEpilogue(const ir::Value* output, const ConstantLookup& constantOf,
                           const std::function<bool(const ir::Value*)>& isComputed);

// Most inputs activation `op` takes: the value, and for Clip its two bounds.
inline size_t activationInputs(const std::string& op) { return op == "Clip" ? 3 : 1; }

// The activation `node` applies (lowered_ops.def: ELEMENTWISE_ACTIVATION) with
// its parameters, nullopt for any other node, non-constant parameters or more
// inputs than the activation takes.
std::optional<EpilogueStep> activationStep(const ir::Node& node, const ConstantLookup& constantOf);

}  // namespace convopt::codegen
