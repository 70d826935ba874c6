// The per-op lowering functions: each turns one node (and what it fuses) into
// kernels through the LoweringContext, or says why not — then the node falls
// back to the reference interpreter. lowered_ops.def maps op types to them.
#pragma once
#include "codegen/lowering/lowering_context.h"
#include "codegen/lowering/static_values.h"
#include "ir/status.h"

namespace convopt::codegen {

#define LOWERED_OP(op, handler) Status handler(LoweringContext& context, const ir::Node& node);
#include "codegen/lowering/lowered_ops.def"

// The channel gathers the pre-lowering planned (Concat, Split, Slice, channel
// shuffles of blocked tensors), tried first by the handlers of those ops.
Status lowerChannelGather(LoweringContext& context, const ir::Node& node);

}  // namespace convopt::codegen
