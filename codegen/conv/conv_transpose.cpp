#include "codegen/conv/conv_transpose.h"

#include <fmt/format.h>

#include <numeric>

#include "runtime/reference/spatial.h"

namespace convopt::codegen {

using runtime::reference::floorDiv;

std::vector<PhaseAxis> axisPhases(const TransposedAxis& a) {
  std::vector<PhaseAxis> phases;
  const int64_t g = std::gcd(a.stride, a.dilation);
  for (int64_t r = 0; r < std::min(a.stride, a.output); ++r) {
    PhaseAxis phase;
    phase.offset = r;
    phase.count = (a.output - r + a.stride - 1) / a.stride;
    phase.dilation = a.dilation / g;
    for (int64_t k = a.kernel - 1; k >= 0; --k)
      if ((r + a.padBegin - k * a.dilation) % a.stride == 0) phase.taps.push_back(k);
    if (!phase.taps.empty()) phase.pad = -floorDiv(r + a.padBegin - phase.taps[0] * a.dilation, a.stride);
    phases.push_back(std::move(phase));
  }
  return phases;
}

std::string ConvTransposeSpec::describe() const {
  return fmt::format("convtranspose{}x{}_s{}_d{}_g{}_c{}x{}x{}_o{}", rows.kernel, cols.kernel, rows.stride,
                     rows.dilation, group, inChannels, rows.input, cols.input, outChannels);
}

std::vector<ConvTransposePhase> convTransposePhases(const ConvTransposeSpec& spec) {
  std::vector<ConvTransposePhase> phases;
  for (const PhaseAxis& rows : axisPhases(spec.rows))
    for (const PhaseAxis& cols : axisPhases(spec.cols)) {
      ConvSpec v;
      v.batch = spec.batch;
      v.inChannels = spec.inChannels, v.inHeight = spec.rows.input, v.inWidth = spec.cols.input;
      v.outChannels = spec.outChannels, v.outHeight = rows.count, v.outWidth = cols.count;
      v.kernelH = int64_t(rows.taps.size()), v.kernelW = int64_t(cols.taps.size());
      v.dilationH = rows.dilation, v.dilationW = cols.dilation;
      v.padTop = rows.pad, v.padLeft = cols.pad;
      v.group = spec.group;
      v.epilogue = spec.epilogue;
      v.placement = {spec.rows.output, spec.cols.output, rows.offset, spec.rows.stride, cols.offset, spec.cols.stride};
      phases.push_back({v, rows.taps, cols.taps});
    }
  return phases;
}

std::vector<float> phaseWeights(const ConvTransposeSpec& spec, const ConvTransposePhase& phase,
                                std::span<const float> weights) {
  const int64_t cin = spec.inPerGroup(), cout = spec.outPerGroup();
  const int64_t kh = spec.rows.kernel, kw = spec.cols.kernel;
  const int64_t th = int64_t(phase.rowTaps.size()), tw = int64_t(phase.colTaps.size());
  std::vector<float> conv(spec.outChannels * cin * th * tw);
  for (int64_t o = 0; o < spec.outChannels; ++o)
    for (int64_t j = 0; j < cin; ++j) {
      int64_t c = o / cout * cin + j;  // the input channel, in o's group
      for (int64_t y = 0; y < th; ++y)
        for (int64_t x = 0; x < tw; ++x)
          conv[((o * cin + j) * th + y) * tw + x] =
              weights[((c * cout + o % cout) * kh + phase.rowTaps[y]) * kw + phase.colTaps[x]];
    }
  return conv;
}

}  // namespace convopt::codegen
