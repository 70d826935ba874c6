// Epilogue fusion: the nodes after a kernel's output that become part of its
// epilogue instead of kernels of their own.
//   y = K(...); z = Act(y)                       -> K with Act      (y used once)
//   y = K(...); z = Add(y, r) / Add(r, y)        -> K with +r       (r same shape, already computed)
//   y = K(...); s = Sigmoid(y); z = Mul(y, s)    -> K with SiLU     (s used once)
//   y = K(...); h = HardSigmoid(y); z = Mul(y, h) -> K with HardSwish(alpha, beta)
//   y = K(...); z = Mul/Add/Sub/Div(y, c)        -> K with Affine   (c per-channel / scalar constant)
//   y = K(...); z = BatchNormalization(y, ...)   -> K with Affine   (inference, constant parameters)
//   y = K(...); z = y * clip(y + 3, 0, 6) / 6    -> K with HardSwish (codegen/epilogue_patterns.h)
// and repeated on z. A graph output is never fused through (it must exist).
#pragma once
#include <optional>
#include <vector>

#include "codegen/builder/epilogue.h"
#include "codegen/lowering/lowering_context.h"

namespace convopt::codegen {

// Fuses the nodes that follow a kernel's `output` into `epilogue` (marking
// them fused in `context`): returns the value the kernel finally writes;
// appends the residual operands the steps read.
const ir::Value* fuseEpilogue(LoweringContext& context, const ir::Value* output, Epilogue& epilogue,
                              std::vector<const ir::Value*>& residuals);

// The activation `node` applies (lowered_ops.def: ELEMENTWISE_ACTIVATION) with
// its parameters, nullopt for any other node or non-constant parameters.
std::optional<EpilogueStep> activationStep(const LoweringContext& context, const ir::Node& node);

}  // namespace convopt::codegen
