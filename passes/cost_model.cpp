#include "passes/cost_model.h"

#include <algorithm>

namespace convopt::passes {

// One core, fp32. Efficiencies are the fraction of peak a good kernel of that
// kind reaches when compute-bound.
const CostParameters& defaultCostParameters() {
  static const CostParameters params = {
      .peakMacsPerSecond = 48e9,  // 2 FMA ports x 8 fp32 lanes x 3 GHz
      .bytesPerSecond = 12e9,     // sustained single-core DRAM/L3 streaming
      .perNodeSeconds = 2e-6,     // dispatch + cache warm-up per op
      .vectorLanes = 16,          // AVX-512 fp32 lanes
      .efficiency =
          {
              0.70,  // dense (kxk): direct conv, some edge overhead
              0.80,  // pointwise (dense 1x1): a GEMM, best register reuse
              0.70,  // grouped: per group the same direct conv (narrow groups pay through lane utilisation)
              0.30,  // depthwise: no reduction over channels, low arithmetic intensity
          },
  };
  return params;
}

int64_t ConvGeometry::params() const {
  return outChannels * (inChannels / group) * kernelElements + (hasBias ? outChannels : 0);
}

int64_t ConvGeometry::macs() const { return batch * outPixels * outChannels * (inChannels / group) * kernelElements; }

int64_t ConvGeometry::bytesMoved() const {
  return elementBytes * (batch * inPixels * inChannels + batch * outPixels * outChannels + params());
}

double estimateConvSeconds(const ConvGeometry& conv, const CostParameters& params) {
  ir::ConvKind kind = conv.kind();
  int64_t vectorised = kind == ir::ConvKind::Depthwise ? conv.inChannels : conv.outChannels / conv.group;
  double lanes = std::min(1.0, static_cast<double>(vectorised) / static_cast<double>(params.vectorLanes));
  double compute =
      static_cast<double>(conv.macs()) / (params.peakMacsPerSecond * params.efficiency[static_cast<int>(kind)] * lanes);
  double memory = static_cast<double>(conv.bytesMoved()) / params.bytesPerSecond;
  return std::max(compute, memory) + params.perNodeSeconds;
}

double estimateCopySeconds(int64_t bytes, const CostParameters& params) {
  return 2.0 * static_cast<double>(bytes) / params.bytesPerSecond + params.perNodeSeconds;
}

bool rewritePays(double beforeSeconds, double afterSeconds, double minGain) {
  return afterSeconds <= beforeSeconds * (1.0 - minGain);
}

ConvGeometry geometryOf(const ir::ConvInfo& conv) {
  ConvGeometry geometry;
  geometry.inChannels = conv.inChannels;
  geometry.outChannels = conv.outChannels;
  geometry.group = conv.group;
  geometry.hasBias = conv.biasParams > 0;
  for (int64_t k : conv.kernelShape) geometry.kernelElements *= k;
  for (int64_t d : conv.outputSpatial) geometry.outPixels *= std::max<int64_t>(d, 1);
  const ir::ValueType& input = conv.node->input(0)->type;
  if (input.shape && !input.shape->empty()) {
    geometry.batch = std::max<int64_t>((*input.shape)[0].value, 1);
    for (size_t i = 2; i < input.shape->size(); ++i) geometry.inPixels *= std::max<int64_t>((*input.shape)[i].value, 1);
  }
  return geometry;
}

}  // namespace convopt::passes
