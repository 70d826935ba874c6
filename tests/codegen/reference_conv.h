// The oracle of the kernel tests: the layer (Conv + its epilogue as ONNX
// nodes) written as an ONNX model and run by the reference interpreter.
#pragma once
#include <vector>

#include "conv_harness.h"

namespace convopt::codegen::testing {

std::vector<float> referenceConv(const ConvSpec& s, const ConvData& data);

}  // namespace convopt::codegen::testing
