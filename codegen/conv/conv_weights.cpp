#include "codegen/conv/conv_weights.h"
#include "ir/int_math.h"

namespace convopt::codegen {

std::vector<float> packConvWeights(const ConvSpec& spec, int vectorWidth, std::span<const float> weights) {
  int64_t blocks = ceilDiv(spec.outChannels, vectorWidth);
  int64_t kh = spec.kernelH, kw = spec.kernelW, cin = spec.inPerGroup();
  std::vector<float> packed(blocks * kh * kw * cin * vectorWidth, 0.0f);
  for (int64_t o = 0; o < spec.outChannels; ++o)
    for (int64_t j = 0; j < cin; ++j)
      for (int64_t y = 0; y < kh; ++y)
        for (int64_t x = 0; x < kw; ++x)
          packed[((((o / vectorWidth) * kh + y) * kw + x) * cin + j) * vectorWidth + o % vectorWidth] =
              weights[((o * cin + j) * kh + y) * kw + x];
  return packed;
}

std::vector<float> packConvBias(const ConvSpec& spec, int vectorWidth, std::span<const float> bias) {
  int64_t blocks = ceilDiv(spec.outChannels, vectorWidth);
  std::vector<float> packed(blocks * vectorWidth, 0.0f);
  for (size_t o = 0; o < bias.size(); ++o) packed[o] = bias[o];
  return packed;
}

}  // namespace convopt::codegen
