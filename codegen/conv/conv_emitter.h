// The direct-convolution emitter shared by all conv families.
//
// Buffers: 0 input (blocked), 1 packed weights (packConvWeights), 2 packed bias
// (packConvBias), 3 output (blocked), 4+k residual k (blocked, output's shape).
// Work unit: one output row of one tile of output blocks of one image; a tile's
// rows are adjacent units, or a row's tiles (tiling.h: unitsRowByRow).
//
// One kernel may compute several convolutions of the same input into one output
// (the phases of a ConvTranspose, conv_transpose.h): their work units follow
// each other in order, and each reads its packed weights from its own offset.
#pragma once
#include <string>
#include <vector>

#include "codegen/conv/conv_plan.h"

namespace llvm {
class Module;
}

namespace convopt::codegen {

struct ConvPart {
  ConvPlan plan;
  int64_t weightOffset = 0;  // in floats, into buffer 1
};

void emitConvKernel(llvm::Module& module, const std::string& name, const ConvPlan& plan, int vectorWidth);
void emitConvKernel(llvm::Module& module, const std::string& name, const std::vector<ConvPart>& parts, int vectorWidth);

// Number of work units of the kernel (the [begin, end) range it accepts).
int64_t convWorkUnits(const ConvPlan& plan, int vectorWidth);
int64_t convWorkUnits(const std::vector<ConvPart>& parts, int vectorWidth);

}  // namespace convopt::codegen
