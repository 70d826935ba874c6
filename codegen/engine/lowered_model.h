// A model specialised to its input shapes and lowered for one target: the
// Program (steps, slots at planned arena offsets, packed constants) and the
// LLVM module of its kernels, not yet optimised. The JIT engine and the
// ahead-of-time compiler both start here, so they run the same kernels.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "codegen/engine/engine_program.h"
#include "codegen/engine/jit.h"

namespace convopt::codegen {

struct LoweredModel {
  ir::Model model;  // the specialised graph; the Program's steps point into it
  Program program;
  KernelModule module;  // empty when the kernels went into another module (KernelDestination)
  size_t arenaBytes = 0;
};

// Where a lowering emits its kernels: by default the result's own module, named
// k0_..., k1_...; an artifact lowers its control-flow bodies into its model's
// module instead, each with a prefix of its own that keeps the names apart.
struct KernelDestination {
  KernelModule* module = nullptr;
  std::string prefix = "k";
};

// Fixes `shapes` (by graph input name), folds constants, infers shapes, lowers
// and plans the arena. `afterPlanningStep` sees the plan after each step of the
// pre-lowering pipeline. Throws InputError for bad models.
LoweredModel lowerModel(const ir::Model& source, const std::map<std::string, std::vector<int64_t>>& shapes,
                        const Target& target, const PlanningObserver& afterPlanningStep = {},
                        const KernelDestination& destination = {});

// What the lowering decided, for `--explain`: the pre-lowering steps' statistics
// with every candidate they left alone, then one line per node.
std::string explainLowering(const Program& program);

}  // namespace convopt::codegen
