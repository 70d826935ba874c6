// How a convolution is generated: which family, how input channels reach the
// lanes of an output vector, and the register tile. Chosen by the family files
// (conv_pointwise.cpp, conv_depthwise.cpp, conv_grouped.cpp, conv_dense.cpp);
// emitted by the one direct-convolution emitter (conv_emitter.cpp).
//
// Channel mapping. Output lane l of output block ob (channel o = ob*V + l) in
// reduction step j reads input channel g(o)*Cin_g + j, g(o) = o / Cout_g:
//  - Broadcast: every lane of a block reads the same channel (one group per
//    block: group == 1 or Cout_g % V == 0) -> one scalar broadcast per step,
//    shared by all blocks of a tile (dense, pointwise, wide groups).
//  - Gather: lanes read different channels (depthwise, depth multiplier,
//    narrow groups) -> the input vectors are permuted with constant shuffles.
//    The mapping repeats every `period` blocks, advancing `periodShiftBlocks`
//    input blocks, so one code path serves all full tiles.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "codegen/conv/conv_spec.h"
#include "codegen/conv/tiling.h"
#include "ir/status.h"

namespace convopt::codegen {

enum class ChannelMapping { Broadcast, Gather };

struct ConvPlan {
  std::string family;  // "pointwise" | "depthwise" | "grouped" | "dense"
  ChannelMapping mapping = ChannelMapping::Broadcast;
  ConvTile tile;
  ConvSpec view;  // the spec the emitter iterates (pointwise: rows of H*W)
  int period = 1;
  int64_t periodShiftBlocks = 0;
  // The input is read in ONNX layout (NCHW) instead of blocked: broadcast
  // mappings of one group only, worth it when C_in < V (a stem's 3 channels
  // would otherwise fill 3 of V lanes of every cache line it touches).
  bool plainInput = false;
  int vectorRegisters = 16;                      // the target's, for the emitter's register budget (planConv sets it)
  CacheBudget caches{};                          // the target's, for the emitter's working sets (planConv sets it)
  ConvVariant variant = ConvVariant::Heuristic;  // measuredConvVariant, for a Conv node's direct kernel
};

// Whether the last output block has at most V/2 real channels (broadcast
// kernels accumulate it as pixel pairs).
bool halfLastBlock(const ConvSpec& spec, int vectorWidth);

// Whether a conv of this plan may read its input in plain layout (ConvPlan::plainInput).
bool canReadPlainInput(const ConvPlan& plan, int vectorWidth);

// Most blocks a gather mapping may take to repeat, and most reduction steps it
// unrolls: beyond these the kernel's code grows faster than it pays.
inline constexpr int kMaxGatherPeriod = 8;
inline constexpr int64_t kMaxGatherReduction = 32;

struct GatherPeriod {
  int period;
  int64_t shiftBlocks;
};
// Smallest period (in output blocks) after which the gather mapping repeats,
// shifted by a whole number of input blocks; nullopt if none up to kMaxGatherPeriod.
std::optional<GatherPeriod> gatherPeriod(const ConvSpec& spec, int vectorWidth);
// The depth multipliers 1..upTo a depthwise conv has a kernel for at this
// vector width (a gather period exists); others fall back.
std::vector<int64_t> nativeDepthMultipliers(int vectorWidth, int64_t upTo);

// Family plans; each refuses, saying why, a spec that is not its case.
Expected<ConvPlan> planPointwise(const ConvSpec& spec, const Target& target);
Expected<ConvPlan> planDepthwise(const ConvSpec& spec, const Target& target);
Expected<ConvPlan> planGrouped(const ConvSpec& spec, const Target& target);
Expected<ConvPlan> planDense(const ConvSpec& spec, const Target& target);

// A pointwise plan whose view's rows are the image's rows instead of H*W
// flattened into rows of its choice (a ring-fused producer computes whole rows).
// `spec` is the plan's (pointwise) conv.
ConvPlan pointwiseByImageRows(const ConvSpec& spec, const Target& target);

// The plan with the target's register file and cache budgets (which the emitter reads).
ConvPlan withTargetBudgets(ConvPlan plan, const Target& target);

// The variant measured for the layer of a model's conv (Target::measuredConvVariants),
// Heuristic when none was: for the conv's own direct kernel, the one tuning times.
ConvVariant measuredConvVariant(const ConvSpec& spec, const Target& target);

// "dense conv3x3_s2_d1_g1_c3x224x224_o32 tile 2x14 plain input + relu": for --explain
// (`spec` is the conv's, whose shape a pointwise plan's view flattens).
std::string describeConvPlan(const ConvSpec& spec, const ConvPlan& plan);

// The first family that takes the spec, in the order above; else every family's reason.
Expected<ConvPlan> planConv(const ConvSpec& spec, const Target& target);

}  // namespace convopt::codegen
