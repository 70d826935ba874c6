// Normalization kernels: y = (x - mean) / sqrt(variance + epsilon) * scale + bias,
// the mean and (biased) variance over a group of elements, in two passes (the
// mean, then the squared deviations from it), as the reference interpreter
// computes them. Two layouts:
// - PlainRows: `rows` contiguous rows of `length` floats, one group each
//   (LayerNormalization over its trailing axes; InstanceNormalization of a
//   plain tensor, whose rows are its (image, channel) planes;
//   GroupNormalization, whose rows are its (image, group) blocks). The scale and
//   bias go per element of the row (LayerNormalization), per row
//   (InstanceNormalization: a run of the whole row) or per run of a channel's
//   plane (GroupNormalization). Unit: a row; tails past a multiple of V are masked.
// - BlockedChannels: a blocked [N][C/V][pixels][V] tensor, every lane its own
//   channel's group (InstanceNormalization after a conv): the sums stay in the
//   lanes, no reorder around it. `rows` = N * C/V units of `length` pixels; the
//   scale and bias are packed per channel (V-padded).
//
// Buffers (kConvBuffers): input, scale (as the weights), bias, output.
#pragma once
#include <cstdint>
#include <string>

namespace llvm {
class Module;
}

namespace convopt::codegen {

struct NormalizationSpec {
  enum class Layout { PlainRows, BlockedChannels } layout = Layout::PlainRows;
  int64_t rows = 1, length = 1;
  // The tensor's channels. PlainRows: scale and bias per element of the row
  // (run 0), or one value per run of `run` floats, the runs numbered across
  // rows modulo `channels`.
  int64_t channels = 0, run = 0;
  float epsilon = 1e-5f;
};

void emitNormalizationKernel(llvm::Module& module, const std::string& name, const NormalizationSpec& spec,
                             int vectorWidth);
inline int64_t normalizationWorkUnits(const NormalizationSpec& spec) { return spec.rows; }

}  // namespace convopt::codegen
