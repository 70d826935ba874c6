// The pre-lowering pipeline: every decision the lowering needs that spans more
// than one node, taken over the IR before any kernel is generated, as named
// steps with statistics like the passes (`--explain`, `--print-after-all`):
//   plan-kernels       each kernel root's spec, or why it falls back (kernel_roots.h)
//   scale-conv-inputs  per-channel input scales folded into conv weights (fusion/scaled_conv_input.h)
//   concat-in-place    Concats whose inputs' producers write into its buffer (fusion/concat_in_place.h)
//   fuse-epilogues     the followers each root's epilogue computes (fusion/epilogue_fusion.h)
//   group-elementwise  the elementwise nodes that become one kernel (fusion/elementwise_group.h)
//   compose-gathers    channel gathers matched and chains of them composed (fusion/channel_gather_match.h)
// The lowering walk (engine_lowering.h) then follows the plan: it never
// decides a fusion, and never undoes one.
#pragma once
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "codegen/engine/jit_engine.h"
#include "codegen/lowering/kernel_roots.h"
#include "passes/pass.h"

namespace convopt::codegen {

struct LoweringPlan {
  FusionPlan fusion;
  std::unordered_map<const ir::Node*, RootKernel> kernels;    // by root node
  std::unordered_map<const ir::Node*, std::string> refusals;  // roots and gathers left alone: why
  std::vector<passes::PassStatistics> statistics;             // one per step, in order
};

// The plan for `graph`, whose Constant nodes are already among `inputs.constantOf`.
LoweringPlan planLowering(const ir::Graph& graph, const PlanningInputs& inputs,
                          const PlanningObserver& afterStep = {});  // given the decisions so far, a line each

// The steps' names, in order.
std::vector<std::string> preLoweringStepNames();

}  // namespace convopt::codegen
