#include "codegen/conv/winograd.h"

#include "codegen/builder/epilogue_emitter.h"
#include "codegen/builder/kernel_builder.h"
#include "ir/int_math.h"

#include <fmt/format.h>

namespace convopt::codegen {

const WinogradTransform& winogradTransform(int tile) {
  static const WinogradTransform f2{2,
                                    4,
                                    {1, 0, -1, 0, 0, 1, 1, 0, 0, -1, 1, 0, 0, 1, 0, -1},
                                    {1, 0, 0, .5, .5, .5, .5, -.5, .5, 0, 0, 1},
                                    {1, 1, 1, 0, 0, 1, -1, -1}};
  // Interpolation points 0, ±1, ±2 and infinity: the usual F(4x4, 3x3).
  static const WinogradTransform f4{4,
                                    6,
                                    {4, 0,  -5, 0, 1, 0, 0, -4, -4, 1,  1, 0, 0, 4, -4, -1, 1, 0,
                                     0, -2, -1, 2, 1, 0, 0, 2,  -1, -2, 1, 0, 0, 4, 0,  -5, 0, 1},
                                    {1. / 4, 0, 0, -1. / 6, -1. / 6, -1. / 6, -1. / 6, 1. / 6, -1. / 6, 1. / 24,
                                     1. / 12, 1. / 6, 1. / 24, -1. / 12, 1. / 6, 0, 0, 1},
                                    {1, 1, 1, 1, 1, 0, 0, 1, -1, 2, -2, 0, 0, 1, 1, 4, 4, 0, 0, 1, -1, 8, -8, 1}};
  return tile == 4 ? f4 : f2;
}

namespace {

// The tile the estimate picks for `spec`, 0 for direct convolution; fitted to
// scripts/bench/winograd_layers.sh and to whole models (BENCHMARKS.md,
// 2026-12-04). Channels: with 32+ per group every measured layer ran faster in
// the Winograd domain (1.1-2.6x; with 16 the transforms' memory traffic ate the
// gain). Tiles: each transformed weight (a^2 / 9 times the direct conv's
// weights) serves one multiply-add per tile, and in a whole model the weights
// come from memory at every inference, so a map of few tiles waits on them
// (resnet18_w025's 128-channel 7x7 convs: 0.065 ms direct, 0.081 ms F(2x2)).
// The largest tile that leaves at least kMinWinogradTiles tiles.
constexpr int64_t kMinWinogradChannels = 32;
constexpr int64_t kMinWinogradTiles = 32;
int estimatedTile(const ConvSpec& spec) {
  if (spec.inPerGroup() < kMinWinogradChannels || spec.outPerGroup() < kMinWinogradChannels) return 0;
  for (int tile : {4, 2})
    if (ceilDiv(spec.outHeight, tile) * ceilDiv(spec.outWidth, tile) >= kMinWinogradTiles) return tile;
  return 0;
}

// The grouped 1x1 conv of the products: every row of tiles seen as one long
// row, cut as a pointwise conv's (tiling.h: pointwiseRowLength).
Expected<ConvPlan> planProducts(const WinogradPlan& plan, const Target& target) {
  const ConvSpec& s = plan.conv;
  int points = plan.pointCount();
  ConvSpec products;
  products.batch = s.batch;
  products.inChannels = points * s.inChannels;
  products.outChannels = points * s.outChannels;
  products.group = points * s.group;
  products.inHeight = products.outHeight = plan.tilesH;
  products.inWidth = products.outWidth = plan.tilesW;
  Expected<ConvPlan> grouped = planConv(products, target);
  if (!grouped || grouped->mapping != ChannelMapping::Broadcast) return Status::refuse("winograd: no product kernel");
  int64_t blocksPerGroup = s.outPerGroup() / target.vectorWidth;
  int64_t blockTiles = products.group * (blocksPerGroup / grouped->tile.outBlocks);
  int64_t rowLength = pointwiseRowLength(plan.tilesH, plan.tilesW, grouped->tile.pixels, blockTiles);
  grouped->tile = broadcastTile(target, blocksPerGroup, true, rowLength);
  grouped->view.inHeight = grouped->view.outHeight = plan.tilesH * plan.tilesW / rowLength;
  grouped->view.inWidth = grouped->view.outWidth = rowLength;
  return grouped;
}

}  // namespace

Status winogradLegality(const ConvSpec& spec, int vectorWidth) {
  if (spec.kernelH != 3 || spec.kernelW != 3 || spec.strideH != 1 || spec.strideW != 1 || spec.dilationH != 1 ||
      spec.dilationW != 1)
    return Status::refuse("winograd: not a 3x3 stride-1 undilated conv");
  if (!spec.placement.isDense()) return Status::refuse("winograd: output not stored densely");
  if (spec.inPerGroup() % vectorWidth || spec.outPerGroup() % vectorWidth)
    return Status::refuse("winograd: channels per group not multiples of the vector width");
  return Status::success();
}

Expected<WinogradPlan> planWinograd(const ConvSpec& spec, const Target& target) {
  if (target.winograd == WinogradUse::Never) return Status::refuse("winograd: disabled");
  if (Status legal = winogradLegality(spec, target.vectorWidth); !legal) return legal;
  auto measured = target.measuredWinogradTiles.find(convLayerKey(spec));
  bool isMeasured = target.winograd == WinogradUse::Auto && measured != target.measuredWinogradTiles.end();
  int tile = target.winograd == WinogradUse::Tile2   ? 2
             : target.winograd == WinogradUse::Tile4 ? 4
             : isMeasured                            ? measured->second
                                                     : estimatedTile(spec);
  if (tile == 0)
    return Status::refuse(isMeasured ? "winograd: measured slower than direct convolution (--tune on this host, else "
                                       "the table of its CPU family)"
                                     : "winograd: estimated slower than direct convolution");
  WinogradPlan plan{winogradTransform(tile), spec, ceilDiv(spec.outHeight, tile), ceilDiv(spec.outWidth, tile), {}};
  Expected<ConvPlan> products = planProducts(plan, target);
  if (!products) return products.status();
  plan.products = std::move(*products);
  return plan;
}

std::vector<float> winogradWeights(const WinogradPlan& plan, std::span<const float> weights) {
  const WinogradTransform& t = plan.transform;
  int a = t.points;
  int64_t outChannels = plan.conv.outChannels, inPerGroup = plan.conv.inPerGroup();
  std::vector<float> transformed(size_t(a * a * outChannels * inPerGroup));
  for (int64_t o = 0; o < outChannels; ++o)
    for (int64_t j = 0; j < inPerGroup; ++j) {
      const float* g = &weights[size_t((o * inPerGroup + j) * 9)];
      double gt[6][3] = {};  // G g, then (G g) G^T
      for (int i = 0; i < a; ++i)
        for (int x = 0; x < 3; ++x)
          for (int k = 0; k < 3; ++k) gt[i][x] += t.filter[i * 3 + k] * g[k * 3 + x];
      for (int i = 0; i < a; ++i)
        for (int l = 0; l < a; ++l) {
          double u = 0;
          for (int x = 0; x < 3; ++x) u += gt[i][x] * t.filter[l * 3 + x];
          transformed[size_t(((i * a + l) * outChannels + o) * inPerGroup + j)] = float(u);
        }
    }
  return transformed;
}

namespace {

// sum_k coefficients[k] * vectors[k], skipping zeros; ±1 are adds and subtractions.
llvm::Value* combine(KernelBuilder& kb, std::span<const double> coefficients, std::span<llvm::Value* const> vectors) {
  llvm::IRBuilder<>& ir = kb.ir();
  llvm::Value* sum = nullptr;
  for (size_t k = 0; k < coefficients.size(); ++k) {
    double c = coefficients[k];
    if (c == 0) continue;
    llvm::Value* v = vectors[k];
    if (!sum)
      sum = c == 1 ? v : c == -1 ? ir.CreateFNeg(v) : ir.CreateFMul(kb.splat(float(c)), v);
    else if (c == 1 || c == -1)
      sum = c == 1 ? ir.CreateFAdd(sum, v) : ir.CreateFSub(sum, v);
    else
      sum = kb.fma(kb.splat(float(c)), v, sum);
  }
  return sum ? sum : kb.zero();
}

// T X T^T of a cols x cols tile X (row-major vectors), T rows x cols: rows x rows vectors.
std::vector<llvm::Value*> transform2d(KernelBuilder& kb, const std::vector<double>& t, int rows, int cols,
                                      const std::vector<llvm::Value*>& x) {
  std::vector<llvm::Value*> half(static_cast<size_t>(rows * cols)), column(static_cast<size_t>(cols)),
      result(static_cast<size_t>(rows * rows));
  for (int l = 0; l < cols; ++l)
    for (int i = 0; i < rows; ++i) {
      for (int k = 0; k < cols; ++k) column[size_t(k)] = x[size_t(k * cols + l)];
      half[size_t(i * cols + l)] = combine(kb, std::span(t).subspan(size_t(i * cols), size_t(cols)), column);
    }
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < rows; ++j)
      result[size_t(i * rows + j)] = combine(kb, std::span(t).subspan(size_t(j * cols), size_t(cols)),
                                             std::span(half).subspan(size_t(i * cols), size_t(cols)));
  return result;
}

}  // namespace

int64_t winogradInputUnits(const WinogradPlan& plan, int vectorWidth) {
  return plan.conv.batch * (plan.conv.inChannels / vectorWidth) * plan.tilesH;
}

int64_t winogradOutputUnits(const WinogradPlan& plan, int vectorWidth) {
  return plan.conv.batch * (plan.conv.outChannels / vectorWidth) * plan.tilesH;
}

size_t winogradInputBytes(const WinogradPlan& plan) {
  return size_t(plan.conv.batch * plan.pointCount() * plan.conv.inChannels * plan.tilesH * plan.tilesW) * sizeof(float);
}

size_t winogradProductBytes(const WinogradPlan& plan) {
  return size_t(plan.conv.batch * plan.pointCount() * plan.conv.outChannels * plan.tilesH * plan.tilesW) *
         sizeof(float);
}

// The transformed tensors (transformed input, products) as the transform
// kernels see them: `blocks` channel blocks per point, and for a work unit —
// one row of tiles of one block of one image — where its point 0 starts.
struct TileRows {
  int64_t blocks, tileRow, pointStride;  // pointStride: floats from one point's channels to the next's
  TileRows(const WinogradPlan& plan, int64_t channels, int vectorWidth)
      : blocks(channels / vectorWidth),
        tileRow(plan.tilesW * vectorWidth),
        pointStride(blocks * plan.tilesH * tileRow) {}

  struct Unit {
    llvm::Value *th, *plane, *start;  // tile row; image * blocks + block; offset of point 0's row
  };
  Unit unit(KernelBuilder& kb, const WinogradPlan& plan, llvm::Value* unit) const {
    llvm::IRBuilder<>& ir = kb.ir();
    llvm::Value* th = ir.CreateSRem(unit, kb.i64(plan.tilesH));
    llvm::Value* plane = ir.CreateSDiv(unit, kb.i64(plan.tilesH));
    // Point 0 of this block sits in block image * a^2 * blocks + block of the transformed tensor.
    llvm::Value* image = ir.CreateSDiv(plane, kb.i64(blocks));
    llvm::Value* block = ir.CreateAdd(plane, ir.CreateMul(image, kb.i64((plan.pointCount() - 1) * blocks)));
    llvm::Value* start = ir.CreateMul(ir.CreateAdd(ir.CreateMul(block, kb.i64(plan.tilesH)), th), kb.i64(tileRow));
    return {th, plane, start};
  }
};

void emitWinogradInputTransform(llvm::Module& module, const std::string& name, const WinogradPlan& plan,
                                int vectorWidth) {
  KernelBuilder kb(module, name, vectorWidth);
  llvm::IRBuilder<>& ir = kb.ir();
  const ConvSpec& s = plan.conv;
  int m = plan.transform.tile, a = plan.transform.points;
  TileRows rows(plan, s.inChannels, vectorWidth);
  llvm::Value* input = kb.buffer(kDataBuffers, BufferRole::Input);
  llvm::Value* output = kb.buffer(kDataBuffers, BufferRole::Output);
  kb.forLoop(kb.begin(), kb.end(), 1, [&](llvm::Value* unit) {
    auto [th, plane, outRow] = rows.unit(kb, plan, unit);
    llvm::Value* inPlane = ir.CreateMul(plane, kb.i64(s.inHeight * s.inWidth * vectorWidth));
    llvm::Value* row0 = ir.CreateSub(ir.CreateMul(th, kb.i64(m)), kb.i64(s.padTop));
    std::vector<llvm::Value*> rowInside(static_cast<size_t>(a));
    for (int k = 0; k < a; ++k)
      rowInside[size_t(k)] = ir.CreateICmpULT(ir.CreateAdd(row0, kb.i64(k)), kb.i64(s.inHeight));
    kb.forLoop(kb.i64(0), kb.i64(plan.tilesW), 1, [&](llvm::Value* tw) {
      llvm::Value* col0 = ir.CreateSub(ir.CreateMul(tw, kb.i64(m)), kb.i64(s.padLeft));
      std::vector<llvm::Value*> tile(static_cast<size_t>(a * a));
      for (int k = 0; k < a; ++k)
        for (int l = 0; l < a; ++l) {
          // Pixels outside the image are the zero padding: read pixel 0 instead, then select 0.
          llvm::Value* col = ir.CreateAdd(col0, kb.i64(l));
          llvm::Value* inside = ir.CreateAnd(rowInside[size_t(k)], ir.CreateICmpULT(col, kb.i64(s.inWidth)));
          llvm::Value* pixel = ir.CreateAdd(ir.CreateMul(ir.CreateAdd(row0, kb.i64(k)), kb.i64(s.inWidth)), col);
          pixel = ir.CreateSelect(inside, pixel, kb.i64(0));
          llvm::Value* x = kb.loadVector(input, ir.CreateAdd(inPlane, ir.CreateMul(pixel, kb.i64(vectorWidth))));
          tile[size_t(k * a + l)] = ir.CreateSelect(inside, x, kb.zero());
        }
      std::vector<llvm::Value*> points = transform2d(kb, plan.transform.inputT, a, a, tile);
      llvm::Value* at = ir.CreateAdd(outRow, ir.CreateMul(tw, kb.i64(vectorWidth)));
      for (int p = 0; p < a * a; ++p)
        kb.storeVector(output, ir.CreateAdd(at, kb.i64(p * rows.pointStride)), points[size_t(p)]);
    });
  });
}

void emitWinogradOutputTransform(llvm::Module& module, const std::string& name, const WinogradPlan& plan,
                                 int vectorWidth) {
  KernelBuilder kb(module, name, vectorWidth);
  llvm::IRBuilder<>& ir = kb.ir();
  const ConvSpec& s = plan.conv;
  int m = plan.transform.tile, a = plan.transform.points;
  TileRows rows(plan, s.outChannels, vectorWidth);
  const BufferLayout& layout = kWinogradOutputBuffers;
  llvm::Value* products = kb.buffer(layout, BufferRole::Input);
  llvm::Value* bias = kb.buffer(layout, BufferRole::Bias);
  llvm::Value* output = kb.buffer(layout, BufferRole::Output);
  std::vector<llvm::Value*> residuals;
  for (int k = 0; k < s.epilogue.residualCount(); ++k) residuals.push_back(kb.buffer(layout, BufferRole::Residual, k));
  kb.forLoop(kb.begin(), kb.end(), 1, [&](llvm::Value* unit) {
    auto [th, plane, inRow] = rows.unit(kb, plan, unit);
    llvm::Value* channel = ir.CreateMul(ir.CreateSRem(plane, kb.i64(rows.blocks)), kb.i64(vectorWidth));
    llvm::Value* outPlane = ir.CreateMul(plane, kb.i64(s.outHeight * s.outWidth * vectorWidth));
    llvm::Value* biasVector = kb.loadVector(bias, channel);
    kb.forLoop(kb.i64(0), kb.i64(plan.tilesW), 1, [&](llvm::Value* tw) {
      llvm::Value* at = ir.CreateAdd(inRow, ir.CreateMul(tw, kb.i64(vectorWidth)));
      std::vector<llvm::Value*> tile(static_cast<size_t>(a * a));
      for (int p = 0; p < a * a; ++p)
        tile[size_t(p)] = kb.loadVector(products, ir.CreateAdd(at, kb.i64(p * rows.pointStride)));
      std::vector<llvm::Value*> pixels = transform2d(kb, plan.transform.outputT, m, a, tile);
      for (int i = 0; i < m; ++i)
        for (int j = 0; j < m; ++j) {
          llvm::Value* oh = ir.CreateAdd(ir.CreateMul(th, kb.i64(m)), kb.i64(i));
          llvm::Value* ow = ir.CreateAdd(ir.CreateMul(tw, kb.i64(m)), kb.i64(j));
          auto store = [&] {
            llvm::Value* offset = ir.CreateAdd(
                outPlane, ir.CreateMul(ir.CreateAdd(ir.CreateMul(oh, kb.i64(s.outWidth)), ow), kb.i64(vectorWidth)));
            llvm::Value* x = ir.CreateFAdd(pixels[size_t(i * m + j)], biasVector);
            x = emitEpilogue(
                kb, s.epilogue, x, [&](int k) { return kb.loadVector(residuals[size_t(k)], offset); }, channel);
            kb.storeVector(output, offset, x);
          };
          // Only the last tile row / column may reach past the output.
          bool rowsExact = i == 0 || s.outHeight % m == 0, colsExact = j == 0 || s.outWidth % m == 0;
          if (rowsExact && colsExact) {
            store();
            continue;
          }
          llvm::Value* inside = ir.getTrue();
          if (!rowsExact) inside = ir.CreateAnd(inside, ir.CreateICmpSLT(oh, kb.i64(s.outHeight)));
          if (!colsExact) inside = ir.CreateAnd(inside, ir.CreateICmpSLT(ow, kb.i64(s.outWidth)));
          kb.ifThen(inside, store);
        }
    });
  });
}

}  // namespace convopt::codegen
