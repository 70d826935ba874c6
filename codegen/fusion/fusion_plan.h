// The fusion plan: every graph-level decision made for codegen, taken by the
// pre-lowering pipeline (codegen/lowering/pre_lowering.h) before any kernel is
// generated, and read by the lowering walk. Each decision says which nodes one
// kernel (or none) computes:
//   scaledInputs        a Mul in front of a Conv folded into its weights (scaled_conv_input.h)
//   concatPlacements    Concat inputs written in place by their producers (concat_in_place.h)
//   epilogues           the followers fused into a kernel's epilogue (epilogue_fusion.h)
//   elementwiseGroups   the elementwise nodes that become one kernel (elementwise_group.h)
//   gathers             the channel gathers composed into one kernel each (channel_gather_match.h)
//   convRings           a conv computed row by row inside the conv that reads it (conv_ring_fusion.h)
// computedBy maps every node computed by another node's kernels to that node:
// the walk skips it.
#pragma once
#include <string>
#include <unordered_map>
#include <vector>

#include "codegen/builder/epilogue.h"
#include "codegen/conv/conv_ring_fusion.h"
#include "codegen/fusion/concat_in_place.h"
#include "codegen/fusion/elementwise_group.h"
#include "codegen/fusion/scaled_conv_input.h"

namespace convopt::codegen {

// The nodes after a kernel's output that its epilogue computes.
struct FusedEpilogue {
  Epilogue epilogue;
  std::vector<const ir::Value*> residuals;  // the operands the epilogue's residual steps read, in order
  const ir::Value* output = nullptr;        // the value the kernel finally writes
  std::vector<const ir::Node*> nodes;       // fused, in order
};

// One channel-gather kernel of a composed chain, explained under `node`.
struct ComposedGather {
  ChannelGather gather;
  const ir::Node* node = nullptr;
  std::string what;                    // "shuffle > split"
  std::vector<const ir::Node*> fused;  // the nodes explained as fused into this kernel
};

// A producer conv ring-fused into its one reader (conv_ring_fusion.h), kept by the reader.
struct ConvRing {
  const ir::Node* producer = nullptr;
  RingFusionPlan plan;
};

struct FusionPlan {
  std::unordered_map<const ir::Node*, ScaledConvInput> scaledInputs;  // by Conv
  std::unordered_map<const ir::Value*, ConcatPlacement> concatPlacements;
  std::unordered_map<const ir::Node*, FusedEpilogue> epilogues;              // by the kernel's node
  std::unordered_map<const ir::Node*, ElementwiseGroup> elementwiseGroups;   // by seed
  std::unordered_map<const ir::Node*, std::vector<ComposedGather>> gathers;  // by the node lowered first
  std::unordered_map<const ir::Node*, ConvRing> convRings;                   // by the reading conv
  std::unordered_map<const ir::Node*, const ir::Node*> computedBy;

  bool isComputedElsewhere(const ir::Node& node) const { return computedBy.count(&node) > 0; }
  // Records that `node` is computed by `by`'s kernels.
  void take(const ir::Node& node, const ir::Node& by) { computedBy[&node] = &by; }
};

}  // namespace convopt::codegen
