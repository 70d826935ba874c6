#include "naive_conv.h"

#include <algorithm>
#include <cmath>

namespace convopt::codegen::testing {

namespace {

float activate(const EpilogueStep& step, float x) {
  auto sigmoid = [](float v) { return 1.0f / (1.0f + std::exp(-v)); };
  switch (step.activation) {
    case Activation::Relu: return std::max(x, 0.0f);
    case Activation::Clip: return std::clamp(x, step.alpha, step.beta);
    case Activation::HardSigmoid: return std::clamp(step.alpha * x + step.beta, 0.0f, 1.0f);
    case Activation::HardSwish: return x * std::clamp(step.alpha * x + step.beta, 0.0f, 1.0f);
    case Activation::Sigmoid: return sigmoid(x);
    case Activation::SiLU: return x * sigmoid(x);
    case Activation::LeakyRelu: return x < 0 ? step.alpha * x : x;
  }
  return x;
}

}  // namespace

std::vector<float> naiveConv(const ConvSpec& s, const ConvData& data) {
  std::vector<float> out(s.batch * s.outChannels * s.outHeight * s.outWidth);
  int64_t cin = s.inPerGroup();
  for (int64_t n = 0; n < s.batch; ++n)
    for (int64_t o = 0; o < s.outChannels; ++o)
      for (int64_t oh = 0; oh < s.outHeight; ++oh)
        for (int64_t ow = 0; ow < s.outWidth; ++ow) {
          double sum = data.bias[o];
          for (int64_t j = 0; j < cin; ++j)
            for (int64_t kh = 0; kh < s.kernelH; ++kh)
              for (int64_t kw = 0; kw < s.kernelW; ++kw) {
                int64_t ih = oh * s.strideH - s.padTop + kh * s.dilationH;
                int64_t iw = ow * s.strideW - s.padLeft + kw * s.dilationW;
                if (ih < 0 || ih >= s.inHeight || iw < 0 || iw >= s.inWidth) continue;
                int64_t c = o / s.outPerGroup() * cin + j;
                sum += double(data.input[((n * s.inChannels + c) * s.inHeight + ih) * s.inWidth + iw]) *
                       data.weights[((o * cin + j) * s.kernelH + kh) * s.kernelW + kw];
              }
          int64_t index = ((n * s.outChannels + o) * s.outHeight + oh) * s.outWidth + ow;
          float x = float(sum);
          int residual = 0;
          for (const EpilogueStep& step : s.epilogue.steps)
            x = step.kind == EpilogueStep::Kind::AddResidual ? x + data.residuals[residual++][index] : activate(step, x);
          out[index] = x;
        }
  return out;
}

}  // namespace convopt::codegen::testing
