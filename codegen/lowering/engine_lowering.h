// Lowers a shape-inferred graph to a Program: turns each supported node (plus
// the activations / residual Adds fused into it) into generated kernels
// emitted into one module, inserts layout reorders where a blocked value meets
// a plain one, and falls back to the reference interpreter for everything
// else. The walk is here; the per-op functions are op_lowering.h (lower_*.cpp),
// the state they share lowering_context.h.
#pragma once
#include "codegen/engine/engine_program.h"
#include "codegen/engine/jit.h"

namespace convopt::codegen {

void lowerGraph(const ir::Graph& graph, Program& program, KernelModule& module, const Target& target, int64_t opset);

}  // namespace convopt::codegen
