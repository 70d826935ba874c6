// 3x3 convolutions in the Winograd domain, F(m x m, 3 x 3) (Lavin & Gray 2016):
// an m x m tile of output pixels is computed from an a x a input tile (a = m + 2)
// with a^2 multiplications per channel pair instead of 9 m^2,
//     Y = A^T [ (G g G^T) ⊙ (B^T d B) ] A,   summed over input channels,
// so F(2x2) does 2.25x and F(4x4) 4x fewer multiply-adds, at the cost of
// moving the transformed tiles through memory and of rounding error that grows
// with m (docs/CODEGEN.md gives both, measured). Three kernels:
//  1. input transform: B^T d B of every tile and input channel, written as a
//     blocked tensor of a^2 * C_in channels (point p's at p * C_in) over a
//     tilesH x tilesW map;
//  2. the products: per point p, (tiles x C_in) times (C_in x C_out) — a
//     grouped 1x1 conv of a^2 * group groups on the broadcast microkernel
//     (conv_grouped.cpp), its weights G g G^T transformed at compile time;
//  3. output transform: A^T M A, then bias and the epilogue, into the output.
// Legality: 3x3, stride 1, dilation 1, output stored densely, input and output
// channels per group multiples of the vector width (so each point's products
// are whole vector blocks).
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "codegen/builder/kernel_abi.h"
#include "codegen/conv/conv_plan.h"

namespace llvm {
class Module;
}

namespace convopt::codegen {

// The transform matrices of F(m x m, 3 x 3), row-major: B^T (a x a), G (a x 3), A^T (m x a).
struct WinogradTransform {
  int tile = 0;    // m
  int points = 0;  // a = m + 2
  std::vector<double> inputT, filter, outputT;
};
// m = 2 or 4.
const WinogradTransform& winogradTransform(int tile);

struct WinogradPlan {
  WinogradTransform transform;
  ConvSpec conv;  // the convolution, its epilogue included
  int64_t tilesH = 0, tilesW = 0;
  ConvPlan products;  // the grouped 1x1 conv over the transformed tiles
  int pointCount() const { return transform.points * transform.points; }
};

// Whether `spec` may run in the Winograd domain at `vectorWidth` (the legality above).
Status winogradLegality(const ConvSpec& spec, int vectorWidth);

// Whether `spec` runs in the Winograd domain on `target` (Target::winograd),
// and with which tile: the tile measured fastest on this host for its layer
// key, else the estimate's; refuses, saying why, a conv that may not or should not.
Expected<WinogradPlan> planWinograd(const ConvSpec& spec, const Target& target);

// The products' weights in ONNX layout, [a^2 * C_out][C_in / group][1][1]:
// output channel p * C_out + o holds point p of G g G^T for filter o.
std::vector<float> winogradWeights(const WinogradPlan& plan, std::span<const float> weights);

// Input transform: buffers kDataBuffers (input blocked, transformed tiles);
// work unit = one row of tiles of one input block of one image.
void emitWinogradInputTransform(llvm::Module& module, const std::string& name, const WinogradPlan& plan,
                                int vectorWidth);
int64_t winogradInputUnits(const WinogradPlan& plan, int vectorWidth);

// Output transform: buffers kWinogradOutputBuffers (products, packed bias,
// output, residuals); work unit = one row of tiles of one output block of one image.
inline constexpr BufferLayout kWinogradOutputBuffers{false, true};
void emitWinogradOutputTransform(llvm::Module& module, const std::string& name, const WinogradPlan& plan,
                                 int vectorWidth);
int64_t winogradOutputUnits(const WinogradPlan& plan, int vectorWidth);

// Bytes of the transformed input and of the products (the kernels' scratch buffers).
size_t winogradInputBytes(const WinogradPlan& plan);
size_t winogradProductBytes(const WinogradPlan& plan);

}  // namespace convopt::codegen
