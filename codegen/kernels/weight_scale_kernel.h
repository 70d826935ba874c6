// Packed conv weights (conv_weights.h, [OCB][KH][KW][C][V]) times a per-input-
// channel scale computed at run time (scaled_conv_input.h): the row of input
// channel j is multiplied by scale[j].
//
// Buffers: 0 packed weights, 1 scale (C floats, a blocked [1, C, 1, 1] tensor),
// 2 scaled weights. Work unit: one output block.
#pragma once
#include <cstdint>
#include <string>

namespace llvm {
class Module;
}

namespace convopt::codegen {

struct WeightScaleSpec {
  int64_t outBlocks = 0, taps = 0, inChannels = 0;
};

void emitWeightScaleKernel(llvm::Module& module, const std::string& name, const WeightScaleSpec& spec, int vectorWidth);

}  // namespace convopt::codegen
