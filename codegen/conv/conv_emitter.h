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
class Value;
}  // namespace llvm

namespace convopt::codegen {

class KernelBuilder;

struct ConvPart {
  ConvPlan plan;
  int64_t weightOffset = 0;  // in floats, into buffer 1
};

// A conv's operands inside a generated function. A kernel fusing several convs
// (conv_ring_fusion.h) hands one conv's output to the next through a ring of
// rows: a scratch holding `rows` rows of every channel block of one image, row
// r at r mod rows (blocked layout otherwise).
struct ConvOperands {
  llvm::Value *input = nullptr, *weights = nullptr, *bias = nullptr, *output = nullptr;  // at this conv's own
  std::vector<llvm::Value*> residuals;
  int64_t inputRingRows = 0, outputRingRows = 0;  // 0: the whole tensor
};

// The kernel's own buffers (kernel_abi.h) as a conv's operands: its packed
// weights and bias at the given offsets (floats), `residuals` residual operands.
ConvOperands kernelConvOperands(KernelBuilder& kb, int64_t weightOffset, int64_t biasOffset, int residuals);

// Output rows [firstRow, endRow) of image n, every tile of output blocks, of
// the conv `plan` (its view's rows), emitted into kb's current function.
void emitConvRows(KernelBuilder& kb, const ConvPlan& plan, const ConvOperands& operands, llvm::Value* n,
                  llvm::Value* firstRow, llvm::Value* endRow);

// Return the variants in play (ConvVariant): the choices the kernel makes,
// each of which its plan's variant would turn; a variant not in play leaves
// the heuristics' kernel.
std::vector<ConvVariant> emitConvKernel(llvm::Module& module, const std::string& name, const ConvPlan& plan,
                                        int vectorWidth);
std::vector<ConvVariant> emitConvKernel(llvm::Module& module, const std::string& name,
                                        const std::vector<ConvPart>& parts, int vectorWidth);

// Number of work units of the kernel (the [begin, end) range it accepts).
int64_t convWorkUnits(const ConvPlan& plan, int vectorWidth);
int64_t convWorkUnits(const std::vector<ConvPart>& parts, int vectorWidth);

}  // namespace convopt::codegen
