// Lowers a shape-inferred graph to a Program: plans it (pre_lowering.h), then
// turns each supported node (plus what the plan fused into it) into generated kernels
// emitted into one module, inserts layout reorders where a blocked value meets
// a plain one, and falls back to the reference interpreter for everything
// else. The walk is here; the per-op functions are op_lowering.h (lower_*.cpp),
// the state they share lowering_context.h.
#pragma once
#include "codegen/engine/engine_program.h"
#include "codegen/engine/jit.h"
#include "codegen/lowering/pre_lowering.h"

namespace convopt::codegen {

// `afterStep` sees the plan after each pre-lowering step (`--print-after-all`).
void lowerGraph(const ir::Graph& graph, Program& program, KernelModule& module, const Target& target, int64_t opset,
                const PlanningObserver& afterStep = {});

}  // namespace convopt::codegen
