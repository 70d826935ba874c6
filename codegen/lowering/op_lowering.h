// The per-op lowering functions: each turns one node (and what it fuses) into
// kernels through the LoweringContext, or says why not — then the node falls
// back to the reference interpreter. lowered_ops.def maps op types to them.
#pragma once
#include "codegen/lowering/lowering_context.h"
#include "ir/status.h"

namespace convopt::codegen {

#define LOWERED_OP(op, handler) Status handler(LoweringContext& context, const ir::Node& node);
#include "codegen/lowering/lowered_ops.def"

// A 4-D float value with a static shape: what generated kernels accept.
bool isStatic4dFloat(const ir::Value* value);
// A float value of any rank with a static shape: what plain-layout kernels accept.
bool isStaticFloat(const ir::Value* value);
// Whether `dims`, right-aligned to `target`'s rank, broadcasts to `target` without growing it.
bool broadcastsTo(const std::vector<int64_t>& dims, const std::vector<int64_t>& target);

}  // namespace convopt::codegen
