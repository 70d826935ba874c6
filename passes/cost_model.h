// The cost model: a convolution's time on the runtime the model is headed for,
// predicted from that runtime's cost table (cost_table.h: kernel rates
// measured by `convopt calibrate`). Structural rewrites consult it: they apply
// only when the estimated time of the replacement is at least
// PassOptions::minGain below the original's.
//
//   rate     = the table's rate for the conv's kind, interpolated in log space
//              between the two entries nearest in (in/out channels per group,
//              kernel elements)
//   overhead = the same entries' fixed time, interpolated with the same weights
//              (a kind's node, loop and layout costs: onnxruntime's grouped
//              convs outside its blocked layout take ~40 us at any size)
//   compute  = MACs / rate
//   memory   = (input + output + weight bytes) / stream bandwidth
//   time     = overhead + max(compute, memory)                    (a roofline)
//
// A measured rate already holds what a kind costs on that runtime: idle vector
// lanes of narrow groups, a depthwise kernel's low arithmetic intensity. A
// depthwise conv whose depth multiplier the runtime has no kernel for runs at
// the table's fallback rate.
#pragma once
#include <cstdint>
#include <memory>
#include <string_view>

#include "ir/conv_info.h"
#include "passes/cost_table.h"

namespace convopt::passes {

struct ConvGeometry {
  int64_t batch = 1;
  int64_t inChannels = 0;
  int64_t outChannels = 0;
  int64_t group = 1;
  int64_t kernelElements = 1;  // kh * kw
  // Spatial sizes; 1 when unknown, which makes every figure "per output pixel".
  int64_t inPixels = 1;
  int64_t outPixels = 1;
  int64_t elementBytes = 4;
  bool hasBias = false;

  ir::ConvKind kind() const { return ir::classifyConv(inChannels, group, {kernelElements}); }
  int64_t params() const;
  int64_t macs() const;
  int64_t bytesMoved() const;
};

class CostModel {
 public:
  explicit CostModel(CostTable table) : table_(std::move(table)) {}

  double convSeconds(const ConvGeometry& conv) const;
  // A channel Gather (a permutation) of a tensor of `bytes`.
  double gatherSeconds(int64_t bytes) const;
  // A Split or a Concat of a tensor of `bytes`.
  double splitConcatSeconds(int64_t bytes) const;
  // The interpolated kernel rate (MACs per second) for the conv's structure.
  double macsPerSecond(const ConvGeometry& conv) const;
  // The interpolated fixed time of a conv of this structure.
  double overheadSeconds(const ConvGeometry& conv) const;

  const CostTable& table() const { return table_; }

 private:
  struct Entry {
    double macsPerSecond, overheadSeconds;
  };
  Entry interpolated(const ConvGeometry& conv) const;

  CostTable table_;
};

// The model of a built-in table (shared, built once per runtime).
std::shared_ptr<const CostModel> builtinCostModel(std::string_view runtime);

// The model `optimize --for RUNTIME [--cost-table FILE]` asks for: the table in
// FILE (which must have been measured for RUNTIME when that is given), else
// RUNTIME's built-in one (convopt when empty).
std::shared_ptr<const CostModel> selectCostModel(std::string_view runtime, const std::string& tablePath);

// A conv as inspect describes it (ir::analyzeConv after inferShapes); unknown
// dims count as 1, as in ConvGeometry.
ConvGeometry geometryOf(const ir::ConvInfo& conv);

// True when `after` is at least `minGain` (a fraction) faster than `before`.
bool rewritePays(double beforeSeconds, double afterSeconds, double minGain);

}  // namespace convopt::passes
