// The direct-convolution emitter shared by all conv families.
//
// Buffers: 0 input (blocked), 1 packed weights (packConvWeights), 2 packed bias
// (packConvBias), 3 output (blocked), 4+k residual k (blocked, output's shape).
// Work unit: one output row of one tile of output blocks of one image.
#pragma once
#include <string>

#include "codegen/conv_plan.h"

namespace llvm {
class Module;
}

namespace convopt::codegen {

void emitConvKernel(llvm::Module& module, const std::string& name, const ConvPlan& plan, int vectorWidth);

// Number of work units of the kernel (the [begin, end) range it accepts).
int64_t convWorkUnits(const ConvPlan& plan, int vectorWidth);

}  // namespace convopt::codegen
