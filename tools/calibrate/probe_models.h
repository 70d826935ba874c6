// The probes `convopt calibrate` times: one table of layer shapes, one probe
// per entry of a cost table (passes/cost_table.h). Each probe is a pair of
// ONNX models whose difference is kProbeRepeats copies of the probed op:
//   without: x -> A -> A ... -> A          (1 + kProbeRepeats depthwise 3x3 "anchor" convs)
//   with:    x -> A -> op -> A -> op ... -> A
// so the model's own entry and exit costs (input copy, layout reorders) cancel,
// and each op is timed between convs as in a real network: what it costs there
// includes any change of data layout it forces on the runtime (onnxruntime
// runs some convs outside its blocked layout, with reorders around them).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "ir/conv_info.h"
#include "ir/graph.h"
#include "passes/cost_model.h"

namespace convopt::tools::calibrate {

enum class ProbeOp { Conv, Gather, SplitConcat };

struct Probe {
  std::string name;  // e.g. "grouped3x3_c128_g32"
  ProbeOp op = ProbeOp::Conv;
  int64_t channels = 0;
  int64_t group = 1;
  int64_t kernel = 1;  // square kernel side
  int64_t side = 28;   // square input side
  // Depthwise probes: output channels per input channel. Above 1 the op is the
  // depthwise conv and a pointwise conv back to `channels` (as a separable
  // rewrite makes them); the fit subtracts the pointwise conv's predicted time.
  int64_t multiplier = 1;

  passes::ConvGeometry geometry() const;           // the probed conv (conv probes)
  passes::ConvGeometry pointwiseGeometry() const;  // the conv after it (multiplier > 1)
  int64_t tensorBytes() const;                     // the 1 x channels x side x side fp32 tensor
};

inline constexpr int kProbeRepeats = 6;
// Each conv probe (but the tiny one and the depth multipliers) has a twin on a
// kSmallSide x kSmallSide input: the fit takes the rate from the MACs and time
// between the two sizes and the fixed time from what the twin takes beyond its
// MACs (onnxruntime's grouped convs outside its blocked layout: ~40 us at any size).
inline constexpr int64_t kSmallSide = 14;
Probe smallTwin(const Probe& probe);

// The probes: dense kxk and pointwise convs over channel counts, grouped convs
// over channels per group, depthwise convs over kernel sizes, each also as its
// small twin; a tiny conv (the per-node cost), a channel Gather and a Split + Concat.
const std::vector<Probe>& probeTable();
// A depthwise 3x3 probe with this depth multiplier (and the pointwise conv back).
Probe depthwiseMultiplierProbe(int64_t channels, int64_t multiplier);

// The probe's pair: {without, with}; `with` has kProbeRepeats more of the op.
std::pair<ir::Model, ir::Model> probeModels(const Probe& probe);

}  // namespace convopt::tools::calibrate
