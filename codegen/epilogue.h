// What a kernel does to each output vector after its main computation: an
// ordered list of steps (bias is the kernel's own). Shared by every kernel
// family and by the standalone elementwise kernels, so a fused Conv+Relu and a
// lone Relu compute bit-identical values.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace convopt::codegen {

enum class Activation { Relu, Clip, HardSigmoid, HardSwish, Sigmoid, SiLU, LeakyRelu };

struct EpilogueStep {
  enum class Kind { Activate, AddResidual } kind = Kind::Activate;
  Activation activation = Activation::Relu;
  // Clip: [alpha, beta] = [min, max]; HardSigmoid: clip(alpha*x+beta, 0, 1);
  // HardSwish: x*HardSigmoid(x) (ONNX: alpha 1/6, beta 0.5); LeakyRelu: alpha.
  float alpha = 0;
  float beta = 0;

  static EpilogueStep activate(Activation activation, float alpha = 0, float beta = 0) {
    return {Kind::Activate, activation, alpha, beta};
  }
  static EpilogueStep addResidual() { return {Kind::AddResidual, Activation::Relu, 0, 0}; }
};

struct Epilogue {
  std::vector<EpilogueStep> steps;
  // Residual operands are extra kernel buffers, in step order.
  int residualCount() const;
  std::string describe() const;  // "relu+add+clip[0,6]": for --explain and kernel names
};

std::string activationName(Activation activation);

// z = y * scale[c] + shift[c] per output channel c: constant followers of a
// linear kernel (bias Add, Mul, BatchNormalization) folded into its weights and
// bias at compile time.
struct ChannelAffine {
  std::vector<float> scale, shift;
  explicit ChannelAffine(int64_t channels) : scale(channels, 1.0f), shift(channels, 0.0f) {}
  // Weights with the output channel outermost ([Cout][...]) and bias, folded.
  void applyToWeights(std::vector<float>& weights) const;
  std::vector<float> applyToBias(std::span<const float> bias) const;  // empty bias: zeros
};

}  // namespace convopt::codegen
