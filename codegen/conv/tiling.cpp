#include "codegen/conv/tiling.h"
#include "ir/int_math.h"

#include <algorithm>
#include <cstdint>

namespace convopt::codegen {

ConvTile broadcastTile(const Target& target, int64_t blocksPerGroup, bool mustDivide, int64_t rowLength,
                       bool halfLastBlock) {
  ConvTile best;
  double bestScore = -1;
  for (int blocks = 1; blocks <= std::min<int64_t>(kMaxBroadcastOutBlocks, blocksPerGroup); ++blocks) {
    if (mustDivide && blocksPerGroup % blocks) continue;
    // Registers: accumulators + one weight vector per block + the broadcast input
    // (+ the paired block's weight and input pair).
    bool paired = halfLastBlock && !mustDivide && blocks == blocksPerGroup;
    int free = target.vectorRegisters - kReservedRegisters - blocks - (paired ? 2 : 0);
    int pixels = paired ? 2 * free / (2 * blocks - 1) : free / blocks;
    pixels = static_cast<int>(std::min<int64_t>(pixels, rowLength));
    if (pixels < 1) continue;
    double average = double(rowLength) / double(ceilDiv(rowLength, pixels));
    double score = double(blocks) * average / (blocks + average);
    if (score > bestScore) bestScore = score, best = {blocks, pixels};
  }
  return best;
}

bool unrollBroadcastSteps(int vectorRegisters, int blocks, int pixels, bool paired) {
  int accumulators = paired ? (blocks - 1) * pixels + (pixels + 1) / 2 : blocks * pixels;
  int used = accumulators + blocks + 1 + (paired ? 2 : 0);  // + weights, the broadcast, the pair's
  return vectorRegisters - used >= kUnrollSpareRegisters;
}

int64_t evenRowTiles(int pixelsPerTile, int64_t rowLength) {
  int64_t tiles = ceilDiv(rowLength, pixelsPerTile);
  return tiles <= kMaxEvenRowTiles ? tiles : 0;
}

RowCut cutRow(int pixels, int64_t width, int64_t interiorBegin, int64_t interiorEnd) {
  auto tiles = [&](int64_t columns) { return ceilDiv(columns, pixels); };
  auto smallest = [&](int64_t columns) { return columns ? columns / tiles(columns) : int64_t(pixels); };
  RowCut best;
  int64_t bestTiles = INT64_MAX, bestSmallest = 0;
  int64_t most = (interiorEnd - interiorBegin) / pixels;
  // Giving up more than two interior tiles never leaves fewer tiles.
  for (int64_t interior = most; interior >= std::max<int64_t>(0, most - 2); --interior) {
    int64_t slack = interiorEnd - interiorBegin - interior * pixels;
    for (int64_t extra = 0; extra <= slack; ++extra) {
      RowCut cut{interiorBegin + extra, interior, width - interiorEnd + slack - extra};
      int64_t count = tiles(cut.left) + interior + tiles(cut.right);
      int64_t least = std::min(smallest(cut.left), smallest(cut.right));
      if (count < bestTiles || (count == bestTiles && least > bestSmallest))
        best = cut, bestTiles = count, bestSmallest = least;
    }
  }
  return best;
}

ConvTile gatherTile(const Target& target, int period, int64_t rowLength) {
  // Registers: accumulators + the gathered input + the weight vector per block.
  int pixels = (target.vectorRegisters / kGatherRegisterShare - 2 * period) / period;
  pixels = static_cast<int>(std::clamp<int64_t>(std::min<int64_t>(pixels, rowLength), 1, 64));
  return {period, pixels};
}

int64_t pointwiseRowLength(int64_t height, int64_t width, int pixelsPerTile, int64_t blockTiles) {
  int64_t pixels = height * width, length = pixels;
  for (int64_t k = height; k >= 1; --k)  // image rows per row: the fewest that hold enough tiles
    if (height % k == 0 && width * k >= int64_t(kPointwiseRowPixelTiles) * pixelsPerTile) length = width * k;
  auto units = [&](int64_t row) { return pixels / row * blockTiles; };
  if (units(length) >= kMinWorkUnits) return length;
  int64_t shortest = std::min<int64_t>(pixelsPerTile, pixels);
  for (int64_t row = length; row >= shortest; --row)
    if (pixels % row == 0 && units(row) >= kMinWorkUnits) return row;
  return length;
}

int64_t weightPrefetchLines(const CacheBudget& caches, int64_t convWeightFloats, int64_t tileWeightFloats, int64_t rows,
                            int64_t rowTiles, int64_t steps) {
  if (convWeightFloats * int64_t(sizeof(float)) < caches.streamedWeightBytes) return 0;
  int64_t sliceLines = ceilDiv(ceilDiv(tileWeightFloats, rows), caches.lineBytes / int64_t(sizeof(float)));
  return ceilDiv(sliceLines, rowTiles * steps);
}

bool unitsRowByRow(const CacheBudget& caches, int64_t convWeightBytes, bool broadcast) {
  return broadcast && convWeightBytes < caches.streamedWeightBytes;
}

int64_t reductionBatchBlocks(const CacheBudget& caches, int64_t tileBlocks, int64_t taps, int64_t inBlocks,
                             int64_t rowTiles, int vectorWidth) {
  int64_t blockBytes = tileBlocks * taps * vectorWidth * vectorWidth * int64_t(sizeof(float));
  if (rowTiles <= 1 || blockBytes == 0 || blockBytes > caches.l1WeightBytes) return inBlocks;
  int64_t most = caches.l1WeightBytes / blockBytes;
  return inBlocks <= most ? inBlocks : ceilDiv(inBlocks, ceilDiv(inBlocks, most));
}

MatMulTile matmulTile(const Target& target, int64_t m, int64_t n) {
  int64_t blocks = ceilDiv(n, target.vectorWidth);
  ConvTile broadcast = broadcastTile(target, blocks, false, m);
  MatMulTile tile{broadcast.pixels, broadcast.outBlocks};
  auto tiles = [&] { return ceilDiv(m, tile.rows) * ceilDiv(blocks, tile.blocks); };
  while (tiles() < kMinMatMulTiles && (tile.rows > 1 || tile.blocks > 1)) {
    int& halved = tile.rows > 1 ? tile.rows : tile.blocks;
    halved = (halved + 1) / 2;
  }
  return tile;
}

}  // namespace convopt::codegen
