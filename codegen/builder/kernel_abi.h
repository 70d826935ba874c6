// The calling convention of every generated kernel (see kernel_builder.h):
// its buffers in the one order below, and the half-open range of work units
// to compute.
#pragma once
#include <cstdint>
#include <vector>

namespace convopt::codegen {

using KernelFunction = void (*)(float* const* buffers, int64_t begin, int64_t end);

// What a kernel's buffers are. Every generator reads them, and every caller
// (lowering, the tests' harnesses, the benchmarks) passes them, in this order:
// the input, the weights and the bias where the kernel family has them (a
// GEMM's B is its weights), the output, then the epilogue's residual operands.
enum class BufferRole { Input, Weights, Bias, Output, Residual };

struct BufferLayout {
  bool weights = false, bias = false;

  // Position of `role` (the `residual`-th residual operand for Residual).
  constexpr int index(BufferRole role, int residual = 0) const {
    int at = 0;
    for (BufferRole r : {BufferRole::Input, BufferRole::Weights, BufferRole::Bias, BufferRole::Output}) {
      if (r == role) return at;
      at += r == BufferRole::Weights ? weights : r == BufferRole::Bias ? bias : 1;
    }
    return at + residual;
  }
  constexpr int count(int residuals) const { return index(BufferRole::Residual, residuals); }
};

inline constexpr BufferLayout kConvBuffers{true, true};    // conv and ConvTranspose kernels
inline constexpr BufferLayout kDataBuffers{false, false};  // input -> output kernels (pool, resize, copies, ...)

// A conv kernel's buffer list from its named parts (for callers outside the lowering).
inline std::vector<float*> convBuffers(float* input, float* weights, float* bias, float* output,
                                       const std::vector<float*>& residuals = {}) {
  std::vector<float*> buffers(size_t(kConvBuffers.count(int(residuals.size()))));
  buffers[kConvBuffers.index(BufferRole::Input)] = input;
  buffers[kConvBuffers.index(BufferRole::Weights)] = weights;
  buffers[kConvBuffers.index(BufferRole::Bias)] = bias;
  buffers[kConvBuffers.index(BufferRole::Output)] = output;
  for (size_t k = 0; k < residuals.size(); ++k)
    buffers[kConvBuffers.index(BufferRole::Residual, int(k))] = residuals[k];
  return buffers;
}

}  // namespace convopt::codegen
