// ConvTranspose as a set of ordinary convolutions: output-centric gather,
// decomposed by output phase.
//
// Along one axis (input length I, kernel K, stride s, dilation d, begin pad p):
//   y[o] = sum over taps k with (o + p - k*d) divisible by s of x[(o + p - k*d) / s] * w[k].
// The output positions o = r + s*t of phase r (0 <= r < s) receive the same taps:
// those k with (r + p - k*d) ≡ 0 (mod s), reading x[t + q(k)] with
// q(k) = (r + p - k*d) / s. Consecutive such k differ by s/g (g = gcd(s, d)) and
// their q by d/g, so, taken in descending k, phase r is a stride-1 convolution with
// n_r taps, dilation d/g and begin padding -q(largest k) (negative: the window
// starts inside the input), whose output t is stored at position r + s*t.
// A 2-D ConvTranspose is s_h*s_w such convolutions, each a dense direct conv with
// compile-time taps run by the shared conv emitter (conv_emitter.h) in one kernel.
#pragma once
#include <span>
#include <string>
#include <vector>

#include "codegen/conv/conv_spec.h"

namespace convopt::codegen {

struct TransposedAxis {
  int64_t input = 0, output = 0, kernel = 1, stride = 1, dilation = 1, padBegin = 0;
};

// One phase along one axis.
struct PhaseAxis {
  int64_t offset = 0, count = 0;  // output positions offset + stride*t, t < count
  std::vector<int64_t> taps;      // kernel indices, in the order of the phase conv's taps
  int64_t dilation = 1, pad = 0;  // of the phase conv
};

// The phases of one axis that have output positions (at most `stride` of them).
std::vector<PhaseAxis> axisPhases(const TransposedAxis& axis);

struct ConvTransposeSpec {
  int64_t batch = 1, inChannels = 0, outChannels = 0, group = 1;
  TransposedAxis rows, cols;
  Epilogue epilogue;
  int64_t inPerGroup() const { return inChannels / group; }
  int64_t outPerGroup() const { return outChannels / group; }
  // "convtranspose2x2_s2_d1_g1_c24x160x160_o24"
  std::string describe() const;
};

struct ConvTransposePhase {
  ConvSpec view;  // the phase as a convolution storing into the ConvTranspose's output
  std::vector<int64_t> rowTaps, colTaps;
};

std::vector<ConvTransposePhase> convTransposePhases(const ConvTransposeSpec& spec);

// The phase's weights in Conv layout [Cout][Cin/group][taps rows][taps cols],
// from ConvTranspose weights [Cin][Cout/group][K_h][K_w].
std::vector<float> phaseWeights(const ConvTransposeSpec& spec, const ConvTransposePhase& phase,
                                std::span<const float> weights);

}  // namespace convopt::codegen
