// Until the reference interpreter lands: a plain-loop convolution with the
// epilogue applied in scalar code, as the oracle of the kernel tests.
#pragma once
#include <vector>

#include "conv_harness.h"

namespace convopt::codegen::testing {

std::vector<float> naiveConv(const ConvSpec& s, const ConvData& data);

}  // namespace convopt::codegen::testing
