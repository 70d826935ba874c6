// Register-blocking heuristics of the convolution kernels, in one place so they
// can be unit-tested and benchmarked instead of buried in the emitters.
//
// A tile accumulates `outBlocks` output-channel vectors for `pixels` output
// pixels of one row in registers: outBlocks*pixels accumulators, plus the
// vectors loaded per reduction step.
#pragma once
#include <cstdint>

#include "codegen/engine/target.h"

namespace convopt::codegen {

struct ConvTile {
  int outBlocks = 1;
  int pixels = 1;
  bool operator==(const ConvTile&) const = default;
};

// Most output blocks one broadcast input value is reused across: beyond this the
// weight loads per step outnumber the saved broadcasts.
inline constexpr int kMaxBroadcastOutBlocks = 4;
// Registers kept free for the loaded operands of one reduction step and temporaries.
inline constexpr int kReservedRegisters = 1;

// Broadcast kernels (dense, pointwise, wide groups): one input scalar is
// broadcast and multiplied with `outBlocks` weight vectors. Picks the tile that
// maximises FMAs per loaded vector, outBlocks*p / (outBlocks+p), within the
// register file, p being the pixels a tile gets on average once the row is cut
// into tiles (a 7-pixel row: 3 blocks x 7 beats 4 x 6, which leaves a 1-pixel
// tile); `outBlocks` divides `blocksPerGroup` when tiles must not straddle
// groups, and pixels never exceed the row.
// `halfLastBlock`: the last of the blocks has at most V/2 real channels and is
// accumulated as pixel pairs (conv_emitter.cpp), so a tile holding every block
// needs only half the accumulators for it (C_out = 24 on AVX-512: 2 x 17, not 2 x 14).
ConvTile broadcastTile(const Target& target, int64_t blocksPerGroup, bool mustDivide, int64_t rowLength,
                       bool halfLastBlock = false);

// A broadcast tile's lane loop runs four reduction steps per trip
// (KernelBuilder::Unroll::ByFour) when the tile leaves at least
// kUnrollSpareRegisters vector registers free: unrolled steps overlap their
// loads, which a full register file turns into spills (ppocr_v4_det's 24 -> 1
// channel ConvTranspose, paired 1x56 tiles: 7.6 -> 9.2 ms unrolled; 4x6 tiles:
// dense 3x3 C64 1.36 -> 1.29 ms unrolled).
inline constexpr int kUnrollSpareRegisters = 2;
bool unrollBroadcastSteps(int vectorRegisters, int blocks, int pixels, bool paired);

// Rows of at most this many tiles are cut into equal tiles at compile-time
// columns (borders included) instead of border pixels, interior tiles and a rest.
inline constexpr int kMaxEvenRowTiles = 3;
// How many equal tiles a row of `rowLength` is cut into, 0 for a long row.
int64_t evenRowTiles(int pixelsPerTile, int64_t rowLength);

// A long row of output columns [0, width), its interior [interiorBegin,
// interiorEnd) being the columns whose taps are all inside the image: `left`
// columns, `interiorTiles` full tiles of `pixels`, then `right` columns. The
// left and right columns are cut into equal constant-column tiles that take the
// border pixels (their valid taps known at compile time). Chosen for the fewest
// tiles, then the largest smallest tile: a border pixel alone in a tile (56 =
// 1 + 9x6 + 1) leaves its few FMA chains waiting on each other, 4 + 8x6 + 4 does not.
struct RowCut {
  int64_t left = 0, interiorTiles = 0, right = 0;
  bool operator==(const RowCut&) const = default;
};
RowCut cutRow(int pixels, int64_t width, int64_t interiorBegin, int64_t interiorEnd);

// Gather tiles use only this fraction of the register file for their own
// vectors, leaving the rest to the compiler (shuffled loads, the epilogue's
// temporaries): filling it made LLVM spill accumulators (2.5x slower depthwise).
inline constexpr int kGatherRegisterShare = 2;  // 1/2

// Gather kernels (depthwise, narrow groups): each output block reads its own
// input vector, so blocks share nothing; the tile is the channel-mapping period
// (in blocks) times as many pixels as the registers hold, reusing each weight
// vector across the pixels.
ConvTile gatherTile(const Target& target, int period, int64_t rowLength);

// A 1x1 stride-1 unpadded convolution sees H*W pixels as one long row; it is cut
// into rows of W*k pixels (k divides H) of at least kPointwiseRowPixelTiles
// tiles. When that leaves fewer than kMinWorkUnits work units (rows x
// `blockTiles` output-block tiles), rows are shortened to any divisor of H*W of
// at least one tile, the longest that reaches kMinWorkUnits (13x13: 13 rows of
// 13, not 1 of 169, which ran on one thread however many there were).
inline constexpr int kPointwiseRowPixelTiles = 4;
inline constexpr int64_t kMinWorkUnits = 8;
int64_t pointwiseRowLength(int64_t height, int64_t width, int pixelsPerTile, int64_t blockTiles);

// Weight prefetch (broadcast kernels). A model's weights do not stay in cache
// between inferences, so a tile's first row waits on memory for its weights;
// a tile of few rows (a 7x7 pointwise conv with 400x400 weights: one row) cannot
// amortise that. So the unit of (tile t, row r) prefetches slice r of tile
// t+1's weights into L2, spread evenly over its reduction steps. Convs with
// fewer weight bytes than CacheBudget::streamedWeightBytes skip it (they arrive
// as fast as they are read). regnet_x_400mf on a Sapphire Rapids host: 1 thread
// 6.08 -> 5.48 ms, 2 threads 3.56 -> 3.48 ms.
// Cache lines each reduction step prefetches, 0 for none: a conv of `convWeightFloats`
// weights, `tileWeightFloats` per output tile, over `rows` rows (work units per tile)
// of `rowTiles` pixel tiles of `steps` reduction steps each.
int64_t weightPrefetchLines(const CacheBudget& caches, int64_t convWeightFloats, int64_t tileWeightFloats, int64_t rows,
                            int64_t rowTiles, int64_t steps);

// Work-unit order (a unit is one row of one output tile). By default a tile's
// rows follow each other: its weights stay in cache while the rows stream the
// input. Every tile of a broadcast kernel reads the same input rows, so when its
// weights are small (under CacheBudget::streamedWeightBytes: they stay in L2) the
// tiles of one row follow each other instead, and all but the first read that
// row from L1 (pointwise C32 -> 192 at 112x112, a 1.6 MB input read three
// times: 1.03 -> 0.98 ms on a Sapphire Rapids host).
bool unitsRowByRow(const CacheBudget& caches, int64_t convWeightBytes, bool broadcast);

// Reduction batches (broadcast kernels). A tile reads its weights once per
// pixel tile; when a tile's weights outgrow L1 they stream from L2 at every
// pixel tile, which an Intel core's L2 does not feed at FMA speed (pointwise
// C480 -> 480 on a Sapphire Rapids host: 75% of peak, 82% with 128 input
// channels). So a row is swept once per batch of input blocks whose weights fit
// in CacheBudget::l1WeightBytes, partial sums waiting in the output between batches
// (MLAS's loop order; Zen 5's L2 keeps up either way). Batches are balanced:
// 30 blocks in batches of at most 8 go as 8, 8, 8, 6. One sweep when the row
// is one pixel tile (nothing reuses the weights within a row), or when one
// input block's weights alone exceed the budget (dense 3x3 C64: 36 KB a block).
// Input blocks per batch (`inBlocks`: one sweep): `taps` filter taps of
// `inBlocks` input blocks of V channels, a tile of `tileBlocks` output blocks,
// rows of `rowTiles` pixel tiles.
int64_t reductionBatchBlocks(const CacheBudget& caches, int64_t tileBlocks, int64_t taps, int64_t inBlocks,
                             int64_t rowTiles, int vectorWidth);

// GEMM tiles (matmul_kernel.h): `rows` rows of A, each element broadcast into
// `blocks` N-vectors of B — the broadcast tile above, with A's rows as pixels
// and N's vectors as output blocks — halved (rows first) while one matrix would
// have fewer than kMinMatMulTiles tiles, so that a small product still splits
// over two threads.
inline constexpr int kMinMatMulTiles = 2;
struct MatMulTile {
  int rows = 1;
  int blocks = 1;
  bool operator==(const MatMulTile&) const = default;
};
MatMulTile matmulTile(const Target& target, int64_t m, int64_t n);

}  // namespace convopt::codegen
