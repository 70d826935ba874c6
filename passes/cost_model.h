// The cost model: an estimate of a convolution's time on the target CPU from
// its MACs and the bytes it moves, with an efficiency factor per conv kind.
// Structural rewrites consult it: they apply only when the estimated time of
// the replacement is at least PassOptions::minGain below the original's.
//
//   compute = MACs / (peak MAC/s * efficiency(kind) * lane utilisation)
//   memory  = (input + output + weight bytes) / bandwidth
//   time    = max(compute, memory) + per-node overhead          (a roofline)
//
// Lane utilisation models vectorisation over output channels: a group with
// fewer output channels than vector lanes leaves lanes idle (depthwise kernels
// vectorise over channels instead). The defaults are round numbers for one
// AVX2/AVX-512 core; a later issue calibrates them from convopt's own kernels.
#pragma once
#include <cstdint>

#include "ir/conv_info.h"

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

struct CostParameters {
  double peakMacsPerSecond;
  double bytesPerSecond;
  double perNodeSeconds;
  int64_t vectorLanes;
  double efficiency[4];  // indexed by ir::ConvKind
};

// The defaults, one named table (see cost_model.cpp for why each value).
const CostParameters& defaultCostParameters();

// A conv as inspect describes it (ir::analyzeConv after inferShapes); unknown
// dims count as 1, as in ConvGeometry.
ConvGeometry geometryOf(const ir::ConvInfo& conv);

double estimateConvSeconds(const ConvGeometry& conv, const CostParameters& params = defaultCostParameters());
// A pure data movement op (Split, Concat, Gather) reading and writing `bytes`.
double estimateCopySeconds(int64_t bytes, const CostParameters& params = defaultCostParameters());

// True when `after` is at least `minGain` (a fraction) faster than `before`.
bool rewritePays(double beforeSeconds, double afterSeconds, double minGain);

}  // namespace convopt::passes
