#include "conv_harness.h"

#include "codegen/conv/conv_emitter.h"
#include "codegen/conv/conv_weights.h"
#include "codegen/engine/jit.h"
#include "runtime/blocked_layout.h"

namespace convopt::codegen::testing {

namespace {

std::vector<float> randomVector(size_t size, std::mt19937& rng) {
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<float> values(size);
  for (float& v : values) v = uniform(rng);
  return values;
}

}  // namespace

ConvData randomConvData(const ConvSpec& s, std::mt19937& rng) {
  ConvData data;
  data.input = randomVector(s.batch * s.inChannels * s.inHeight * s.inWidth, rng);
  data.weights = randomVector(s.outChannels * s.inPerGroup() * s.kernelH * s.kernelW, rng);
  data.bias = randomVector(s.outChannels, rng);
  for (int k = 0; k < s.epilogue.residualCount(); ++k)
    data.residuals.push_back(randomVector(s.batch * s.outChannels * s.outHeight * s.outWidth, rng));
  return data;
}

std::vector<float> runGeneratedConv(const ConvSpec& s, const ConvPlan& plan, const Target& target,
                                    const ConvData& data) {
  int width = target.vectorWidth;
  Jit jit(target);
  KernelModule module;
  emitConvKernel(*module.module, "conv", plan, width);
  jit.add(std::move(module));
  KernelFunction kernel = jit.lookup("conv");

  auto in = runtime::BlockedShape::of({s.batch, s.inChannels, s.inHeight, s.inWidth}, width);
  auto out = runtime::BlockedShape::of({s.batch, s.outChannels, s.outHeight, s.outWidth}, width);
  std::vector<float> input(in.elements()), output(out.elements(), -7.0f);
  runtime::toBlocked(data.input.data(), input.data(), in);
  std::vector<float> weights = packConvWeights(s, width, data.weights);
  std::vector<float> bias = packConvBias(s, width, data.bias);
  std::vector<std::vector<float>> residuals;
  const float* source = plan.plainInput ? data.input.data() : input.data();
  std::vector<float*> residualBuffers;
  for (const auto& plain : data.residuals) {
    residuals.emplace_back(out.elements());
    runtime::toBlocked(plain.data(), residuals.back().data(), out);
    residualBuffers.push_back(residuals.back().data());
  }
  std::vector<float*> buffers =
      convBuffers(const_cast<float*>(source), weights.data(), bias.data(), output.data(), residualBuffers);
  int64_t units = convWorkUnits(plan, width);
  kernel(buffers.data(), 0, units / 2);  // two calls: ranges must compose
  kernel(buffers.data(), units / 2, units);
  std::vector<float> plain(s.batch * s.outChannels * s.outHeight * s.outWidth);
  runtime::fromBlocked(output.data(), plain.data(), out);
  return plain;
}

}  // namespace convopt::codegen::testing
