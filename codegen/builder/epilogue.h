// What a kernel does to each output vector after its main computation: an
// ordered list of steps (bias is the kernel's own). Shared by every kernel
// family and by the standalone elementwise kernels, so a fused Conv+Relu and a
// lone Relu compute bit-identical values.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace convopt::codegen {

enum class Activation {
  Relu,
  Clip,
  HardSigmoid,
  HardSwish,
  Sigmoid,
  SiLU,
  LeakyRelu,
  Tanh,
  Gelu,
  GeluTanh,
  Elu,
  Selu,
  Softplus,
  Mish
};

struct EpilogueStep {
  // Affine: x * scale + shift, each one value per channel or a single scalar
  // (decomposed BatchNorm / learnable affine layers: Mul, Add, Sub, Div by constants).
  enum class Kind { Activate, AddResidual, Affine } kind = Kind::Activate;
  Activation activation = Activation::Relu;
  // Clip: [alpha, beta] = [min, max]; HardSigmoid: clip(alpha*x+beta, 0, 1);
  // HardSwish: x*HardSigmoid(x) (ONNX: alpha 1/6, beta 0.5); LeakyRelu: alpha.
  // Gelu: x*(1+erf(x/sqrt 2))/2; GeluTanh: its tanh approximation (Gelu's approximate = "tanh").
  // Elu: x < 0 ? alpha*(exp(x)-1) : x; Selu: beta (ONNX's gamma) times Elu, x > 0 kept.
  // Softplus: log(1 + exp(x)); Mish: x * tanh(Softplus(x)).
  float alpha = 0;
  float beta = 0;
  std::vector<float> scale, shift;

  static EpilogueStep activate(Activation activation, float alpha = 0, float beta = 0) {
    return {Kind::Activate, activation, alpha, beta, {}, {}};
  }
  static EpilogueStep addResidual() { return {Kind::AddResidual, Activation::Relu, 0, 0, {}, {}}; }
  static EpilogueStep affine(std::vector<float> scale, std::vector<float> shift) {
    return {Kind::Affine, Activation::Relu, 0, 0, std::move(scale), std::move(shift)};
  }
  bool perChannel() const { return scale.size() > 1 || shift.size() > 1; }
};

struct Epilogue {
  std::vector<EpilogueStep> steps;
  // Residual operands are extra kernel buffers, in step order.
  int residualCount() const;
  std::string describe() const;  // "relu+add+clip[0,6]": for --explain and kernel names
};

std::string activationName(Activation activation);

}  // namespace convopt::codegen
