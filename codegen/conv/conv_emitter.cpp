#include "codegen/conv/conv_emitter.h"
#include "ir/int_math.h"

#include <algorithm>
#include <map>

#include "codegen/builder/epilogue_emitter.h"
#include "codegen/builder/kernel_builder.h"
#include "codegen/builder/tile_split.h"

namespace convopt::codegen {
namespace {

using llvm::Value;

// A broadcast kernel's last output block with at most V/2 real channels
// accumulates two pixels per vector (ConvEmitter::pairedBlock).
bool pairsLastBlock(const ConvPlan& plan, int width) {
  return plan.mapping == ChannelMapping::Broadcast && halfLastBlock(plan.view, width);
}

// Output blocks in tiles of plan.tile.outBlocks.
TileSplit tileSplit(const ConvPlan& plan, int width) {
  const ConvSpec& s = plan.view;
  int64_t outBlocks = ceilDiv(s.outChannels, width), perTile = plan.tile.outBlocks;
  // A gather tile's lane mapping, and a paired last block, are only known to
  // tiles at constant indices: tiles with padded lanes are tail tiles.
  bool padded = plan.mapping == ChannelMapping::Gather || pairsLastBlock(plan, width);
  int64_t full = padded ? s.outChannels / (perTile * width) : outBlocks / perTile;
  return {full, outBlocks - full * perTile};
}

int64_t inBlocksPerGroup(const ConvPlan& plan, int width) { return ceilDiv(plan.view.inPerGroup(), width); }
int64_t blockWeightFloats(const ConvPlan& plan, int width) {
  return plan.view.kernelH * plan.view.kernelW * plan.view.inPerGroup() * width;
}
int64_t convWeightFloats(const ConvPlan& plan, int width) {
  return ceilDiv(plan.view.outChannels, width) * blockWeightFloats(plan, width);
}
int64_t rowTiles(const ConvPlan& plan) { return ceilDiv(plan.view.outWidth, plan.tile.pixels); }

// Adds `variant` to the choices a kernel makes (ConvEmitter::inPlay), once.
void addInPlay(std::vector<ConvVariant>& inPlay, ConvVariant variant) {
  if (std::find(inPlay.begin(), inPlay.end(), variant) == inPlay.end()) inPlay.push_back(variant);
}

// The heuristics' choices (tiling.h) before the plan's variant turns one of them.
bool heuristicRowByRow(const ConvPlan& plan, int width) {
  return unitsRowByRow(plan.caches, convWeightFloats(plan, width) * int64_t(sizeof(float)),
                       plan.mapping == ChannelMapping::Broadcast);
}
int64_t heuristicBatchBlocks(const ConvPlan& plan, int width) {
  return reductionBatchBlocks(plan.caches, plan.tile.outBlocks, plan.view.kernelH * plan.view.kernelW,
                              inBlocksPerGroup(plan, width), rowTiles(plan), width);
}

struct Tile {
  Value* index;        // runtime or constant tile index
  int64_t constIndex;  // -1 for the shared full-tile path
  int blocks;
};

class ConvEmitter {
 public:
  ConvEmitter(KernelBuilder& kb, const ConvPlan& plan, const ConvOperands& operands)
      : kb_(kb),
        ir_(kb.ir()),
        plan_(plan),
        s_(plan.view),
        width_(kb.vectorWidth()),
        inBlocks_(ceilDiv(s_.inChannels, width_)),
        outBlocks_(ceilDiv(s_.outChannels, width_)),
        tiles_(tileSplit(plan, width_)),
        in_(operands) {}

  // The choices the code emitted so far makes, each a variant (ConvVariant) would change.
  const std::vector<ConvVariant>& inPlay() const { return inPlay_; }

  // The computation of one work unit (of this convolution's own numbering).
  void emitUnit(Value* unit) {
    // unit = (n, tile, oh), or (n, oh, tile) row by row (tiling.h: unitsRowByRow)
    bool orderMatters = tiles_.total() > 1 && s_.outHeight > 1;  // else both orders are one
    if (orderMatters) consulted(ConvVariant::OtherUnitOrder);
    bool rowByRow = orderMatters && heuristicRowByRow(plan_, width_) != (plan_.variant == ConvVariant::OtherUnitOrder);
    int64_t inner = rowByRow ? tiles_.total() : s_.outHeight, outer = rowByRow ? s_.outHeight : tiles_.total();
    Value* innerIndex = ir_.CreateSRem(unit, kb_.i64(inner));
    Value* rest = ir_.CreateSDiv(unit, kb_.i64(inner));
    Value* outerIndex = ir_.CreateSRem(rest, kb_.i64(outer));
    emitAt(ir_.CreateSDiv(rest, kb_.i64(outer)), rowByRow ? outerIndex : innerIndex,
           rowByRow ? innerIndex : outerIndex);
  }

  // Rows [firstRow, endRow) of image n, each row's tiles in turn.
  void emitRows(Value* n, Value* firstRow, Value* endRow) {
    kb_.forLoop(
        firstRow, endRow, 1,
        [&](Value* oh) {
          kb_.forLoop(
              kb_.i64(0), kb_.i64(tiles_.total()), 1, [&](Value* tile) { emitAt(n, oh, tile); },
              KernelBuilder::Unroll::Never);
        },
        KernelBuilder::Unroll::Never);
  }

 private:
  // The kernel makes the choice `variant` would turn (ConvVariant: in play).
  void consulted(ConvVariant variant) { addInPlay(inPlay_, variant); }

  // Row oh of tile `tile` of image n.
  void emitAt(Value* n, Value* oh, Value* tile) {
    n_ = n, oh_ = oh;
    Value* isFull = ir_.CreateICmpSLT(tile, kb_.i64(tiles_.full));
    if (tiles_.full > 0) kb_.ifThen(isFull, [&] { emitRow({tile, -1, plan_.tile.outBlocks}); });
    if (tiles_.last > 0)
      kb_.ifThen(ir_.CreateNot(isFull), [&] { emitRow({kb_.i64(tiles_.full), tiles_.full, int(tiles_.last)}); });
  }

  // Output columns split at compile time: borders (some taps in the padding,
  // the valid taps known per pixel) and the interior (tiles of
  // plan.tile.pixels with every tap valid).
  void emitRow(const Tile& tile) {
    tile_ = tile;
    Value* firstBlock = ir_.CreateMul(tile.index, kb_.i64(plan_.tile.outBlocks));
    blocks_.clear();
    for (int i = 0; i < tile.blocks; ++i) blocks_.push_back(ir_.CreateAdd(firstBlock, kb_.i64(i)));
    setInputBase(tile);
    int64_t lo = std::min(s_.outWidth, ceilDiv(std::max<int64_t>(s_.padLeft, 0), s_.strideW));
    int64_t lastInterior = s_.inWidth - 1 - (s_.kernelW - 1) * s_.dilationW + s_.padLeft;
    int64_t hi = lastInterior < 0 ? 0 : std::min(s_.outWidth, lastInterior / s_.strideW + 1);
    hi = std::max(hi, lo);
    int pixels = plan_.tile.pixels;
    // Border pixels run in tiles at constant columns, which taps each pixel
    // takes known at compile time (tiling.h: cutRow); a short row is all such tiles.
    auto constantTiles = [&](int64_t first, int64_t last) {
      int64_t tiles = ceilDiv(last - first, pixels);
      for (int64_t t = 0; t < tiles; ++t) {
        int64_t begin = first + (last - first) * t / tiles, end = first + (last - first) * (t + 1) / tiles;
        emitPixels(kb_.i64(begin), int(end - begin), false);
      }
    };
    auto sweep = [&] {
      if (evenRowTiles(pixels, s_.outWidth)) return constantTiles(0, s_.outWidth);
      RowCut cut = cutRow(pixels, s_.outWidth, lo, hi);
      constantTiles(0, cut.left);
      if (cut.interiorTiles > 0)
        kb_.forLoop(kb_.i64(cut.left), kb_.i64(cut.left + cut.interiorTiles * pixels), pixels,
                    [&](Value* ow) { emitPixels(ow, pixels, true); });
      constantTiles(s_.outWidth - cut.right, s_.outWidth);
    };
    batch_ = nullptr;
    if (reductionBatches() == 1) return sweep();
    kb_.forLoop(
        kb_.i64(0), kb_.i64(reductionBatches()), 1, [&](Value* batch) { batch_ = batch, sweep(); },
        KernelBuilder::Unroll::Never);
  }

  // The row is swept once per batch of input blocks (tiling.h:
  // reductionBatchBlocks), partial sums kept in the output between batches;
  // gather and paired tiles, and plain inputs, reduce in one sweep.
  int64_t inBlocksPerGroup() const { return codegen::inBlocksPerGroup(plan_, width_); }
  int64_t batchBlocks() const { return heuristicBatchBlocks(plan_, width_); }
  int64_t reductionBatches() {
    bool oneSweep = plan_.mapping == ChannelMapping::Gather || plan_.plainInput || pairedBlock() >= 0;
    int64_t batches = oneSweep ? 1 : ceilDiv(inBlocksPerGroup(), batchBlocks());
    if (batches > 1) consulted(ConvVariant::OneReductionSweep);
    return plan_.variant == ConvVariant::OneReductionSweep ? 1 : batches;
  }

  void setInputBase(const Tile& tile) {
    if (plan_.mapping == ChannelMapping::Gather) {
      blockShift_ = tile.constIndex >= 0 ? kb_.i64(0) : ir_.CreateMul(tile.index, kb_.i64(plan_.periodShiftBlocks));
      return;
    }
    if (s_.group == 1) {
      blockShift_ = kb_.i64(0);
      return;
    }
    // Wide groups: a tile never straddles groups; its group's first input block.
    Value* firstBlock = ir_.CreateMul(tile.index, kb_.i64(plan_.tile.outBlocks));
    Value* group = ir_.CreateSDiv(firstBlock, kb_.i64(s_.outPerGroup() / width_));
    blockShift_ = ir_.CreateMul(group, kb_.i64(s_.inPerGroup() / width_));
  }

  // Rows per input channel block as stored: the image's, or the ring's.
  int64_t inputPlaneRows() const { return in_.inputRingRows ? in_.inputRingRows : s_.inHeight; }

  Value* inputOffset(Value* block, Value* ih, Value* iw) {
    Value* plane = block;
    if (in_.inputRingRows)
      ih = ir_.CreateURem(ih, kb_.i64(in_.inputRingRows));  // only for rows inside the image
    else
      plane = ir_.CreateAdd(ir_.CreateMul(n_, kb_.i64(inBlocks_)), block);
    Value* row = ir_.CreateAdd(ir_.CreateMul(plane, kb_.i64(inputPlaneRows())), ih);
    return ir_.CreateMul(ir_.CreateAdd(ir_.CreateMul(row, kb_.i64(s_.inWidth)), iw), kb_.i64(width_));
  }

  Value* outputOffset(Value* block, Value* ow) {
    const OutputPlacement& at = s_.placement;
    if (in_.outputRingRows) {  // a dense output (ring fusion plans only those)
      Value* row = ir_.CreateAdd(ir_.CreateMul(block, kb_.i64(in_.outputRingRows)),
                                 ir_.CreateURem(oh_, kb_.i64(in_.outputRingRows)));
      return ir_.CreateMul(ir_.CreateAdd(ir_.CreateMul(row, kb_.i64(s_.outWidth)), ow), kb_.i64(width_));
    }
    Value* plane = ir_.CreateAdd(ir_.CreateMul(n_, kb_.i64(outBlocks_)), block);
    Value* oh = at.isDense() ? oh_ : ir_.CreateAdd(ir_.CreateMul(oh_, kb_.i64(at.rowStep)), kb_.i64(at.rowOffset));
    if (!at.isDense()) ow = ir_.CreateAdd(ir_.CreateMul(ow, kb_.i64(at.colStep)), kb_.i64(at.colOffset));
    Value* row = ir_.CreateAdd(ir_.CreateMul(plane, kb_.i64(s_.storedHeight())), oh);
    return ir_.CreateMul(ir_.CreateAdd(ir_.CreateMul(row, kb_.i64(s_.storedWidth())), ow), kb_.i64(width_));
  }

  Value* weightOffset(Value* block, Value* kh, Value* kw, Value* j) {
    Value* tap = ir_.CreateAdd(
        ir_.CreateMul(ir_.CreateAdd(ir_.CreateMul(block, kb_.i64(s_.kernelH)), kh), kb_.i64(s_.kernelW)), kw);
    return ir_.CreateMul(ir_.CreateAdd(ir_.CreateMul(tap, kb_.i64(s_.inPerGroup())), j), kb_.i64(width_));
  }

  bool rowsAlwaysValid() const {
    return s_.padTop == 0 && (s_.outHeight - 1) * s_.strideH + (s_.kernelH - 1) * s_.dilationH <= s_.inHeight - 1;
  }

  // The tile's block whose accumulators hold pixel pairs: lanes [0, V/2) for
  // pixel 2k, [V/2, V) for pixel 2k+1, so a last block with at most V/2 real
  // channels (C_out = 24 on AVX-512) costs half the FMAs; -1 if none.
  int pairedBlock() const {
    bool last = tile_.constIndex >= 0 && tile_.constIndex * plan_.tile.outBlocks + tile_.blocks == outBlocks_;
    return last && pairsLastBlock(plan_, width_) ? tile_.blocks - 1 : -1;
  }

  // Accumulator of block i, pixel p of a tile of `count` pixels.
  size_t accumulator(int i, int p, int count) const {
    return i == pairedBlock() ? size_t(i * count + p / 2) : size_t(i * count + p);
  }

  // Two pixels' broadcast inputs in the halves of one vector (zeros for a pixel
  // without this tap).
  Value* pairHalves(Value* low, Value* high) {
    std::vector<int> mask(width_);
    for (int lane = 0; lane < width_; ++lane) mask[lane] = lane < width_ / 2 ? lane : width_ + lane;
    return ir_.CreateShuffleVector(low ? low : kb_.zero(), high ? high : kb_.zero(), mask);
  }

  // Pixel `odd`'s half of a paired accumulator, in the low lanes of a vector (zeros above).
  Value* pairHalf(Value* pair, bool odd) {
    std::vector<int> mask(width_);
    for (int lane = 0; lane < width_; ++lane) mask[lane] = lane < width_ / 2 ? lane + (odd ? width_ / 2 : 0) : width_;
    return ir_.CreateShuffleVector(pair, kb_.zero(), mask);
  }

  // One register tile: blocks x `count` pixels starting at output column ow0.
  void emitPixels(Value* ow0, int count, bool interior) {
    pixelTile_ = ir_.CreateSDiv(ow0, kb_.i64(plan_.tile.pixels));  // of the row, for prefetchNextTileWeights
    accumulators_.assign(blocks_.size() * count, nullptr);
    for (auto& slot : accumulators_) slot = kb_.vectorVariable(kb_.zero());
    std::vector<Value*> ows;
    for (int p = 0; p < count; ++p) ows.push_back(ir_.CreateAdd(ow0, kb_.i64(p)));
    if (batch_)  // later batches continue the partial sums
      kb_.ifThen(ir_.CreateICmpSGT(batch_, kb_.i64(0)), [&] {
        forEachPartialSum(
            ows, [&](llvm::AllocaInst* acc, Value* at) { ir_.CreateStore(kb_.loadVector(in_.output, at), acc); });
      });
    kb_.forLoop(kb_.i64(0), kb_.i64(s_.kernelH), 1, [&](Value* kh) {
      Value* ih = ir_.CreateAdd(ir_.CreateMul(oh_, kb_.i64(s_.strideH)),
                                ir_.CreateSub(ir_.CreateMul(kh, kb_.i64(s_.dilationH)), kb_.i64(s_.padTop)));
      // The interior's taps stay a loop: unrolled, LLVM keeps the broadcasts or
      // shuffled vectors that neighbouring taps share live and spills them (once
      // it also unrolls a short channel loop). Depthwise tiles (one channel per
      // group, plain vector loads) do gain from that sharing.
      auto taps = [&] {
        bool depthwise = plan_.mapping == ChannelMapping::Gather && s_.inPerGroup() == 1;
        if (interior && !depthwise)
          kb_.forLoop(
              kb_.i64(0), kb_.i64(s_.kernelW), 1, [&](Value* kw) { emitTap(kh, kw, ih, ows, interior); },
              KernelBuilder::Unroll::Never);
        else
          for (int64_t kw = 0; kw < s_.kernelW; ++kw) emitTap(kh, kb_.i64(kw), ih, ows, interior);
      };
      if (rowsAlwaysValid())
        taps();
      else
        kb_.ifThen(ir_.CreateICmpULT(ih, kb_.i64(s_.inHeight)), taps);
    });
    if (!batch_) return storeResults(ows);
    Value* last = ir_.CreateICmpEQ(batch_, kb_.i64(reductionBatches() - 1));
    kb_.ifThen(ir_.CreateNot(last), [&] {
      forEachPartialSum(ows, [&](llvm::AllocaInst* acc, Value* at) {
        kb_.storeVector(in_.output, at, ir_.CreateLoad(acc->getAllocatedType(), acc));
      });
    });
    kb_.ifThen(last, [&] { storeResults(ows); });
  }

  // Each accumulator of the tile (pixels at `ows`) with its output offset: raw
  // partial sums between reduction batches (never a paired tile's).
  void forEachPartialSum(const std::vector<Value*>& ows, const std::function<void(llvm::AllocaInst*, Value*)>& f) {
    int count = int(ows.size());
    for (size_t i = 0; i < blocks_.size(); ++i)
      for (int p = 0; p < count; ++p) f(accumulators_[accumulator(int(i), p, count)], outputOffset(blocks_[i], ows[p]));
  }

  // Bias, epilogue and store of the finished tile.
  void storeResults(const std::vector<Value*>& ows) {
    int count = int(ows.size());
    for (size_t i = 0; i < blocks_.size(); ++i)
      for (int p = 0; p < count; ++p) {
        Value* offset = outputOffset(blocks_[i], ows[p]);
        llvm::AllocaInst* acc = accumulators_[accumulator(int(i), p, count)];
        Value* sum = ir_.CreateLoad(acc->getAllocatedType(), acc);
        if (int(i) == pairedBlock()) sum = pairHalf(sum, p % 2);
        Value* x = ir_.CreateFAdd(sum, kb_.loadVector(in_.bias, ir_.CreateMul(blocks_[i], kb_.i64(width_))));
        x = emitEpilogue(
            kb_, s_.epilogue, x, [&](int k) { return kb_.loadVector(in_.residuals[k], offset); },
            ir_.CreateMul(blocks_[i], kb_.i64(width_)));
        kb_.storeVector(in_.output, offset, x);
      }
  }

  // Accumulates one filter tap (kh, kw) into the tile, for the pixels whose
  // input column is inside the image.
  void emitTap(Value* kh, Value* kw, Value* ih, const std::vector<Value*>& ows, bool interior) {
    std::vector<int> pixels;
    std::vector<Value*> iws(ows.size());
    Value* shift = ir_.CreateSub(ir_.CreateMul(kw, kb_.i64(s_.dilationW)), kb_.i64(s_.padLeft));
    for (size_t p = 0; p < ows.size(); ++p) {
      iws[p] = ir_.CreateAdd(ir_.CreateMul(ows[p], kb_.i64(s_.strideW)), shift);
      bool valid = interior;
      if (auto* c = llvm::dyn_cast<llvm::ConstantInt>(iws[p]))
        valid = c->getSExtValue() >= 0 && c->getSExtValue() < s_.inWidth;
      if (valid) pixels.push_back(int(p));
    }
    if (pixels.empty()) return;
    if (plan_.mapping == ChannelMapping::Broadcast)
      emitBroadcastTap(kh, kw, ih, iws, pixels);
    else
      emitGatherTap(kh, kw, ih, iws, pixels);
  }

  // Loads the tile's accumulators, runs `update` on them in registers, stores them back.
  void updateAccumulators(const std::function<void(std::vector<Value*>&)>& update) {
    std::vector<Value*> values(accumulators_.size());
    for (size_t k = 0; k < values.size(); ++k)
      values[k] = ir_.CreateLoad(accumulators_[k]->getAllocatedType(), accumulators_[k]);
    update(values);
    for (size_t k = 0; k < values.size(); ++k) ir_.CreateStore(values[k], accumulators_[k]);
  }

  // Runtime loops over the group's input channels j: each iteration does
  // blocks x pixels FMAs, kernels stay small, and the unrolled taps of a border
  // tile cannot share (and spill) broadcasts across taps. Blocked input: an
  // outer loop over input blocks and an inner one over their lanes, so the inner
  // step's address is the block's plus the lane; the lane loop runs four steps
  // per trip where the registers allow (tiling.h: unrollBroadcastSteps), the
  // others stay loops.
  void emitBroadcastTap(Value* kh, Value* kw, Value* ih, const std::vector<Value*>& iws,
                        const std::vector<int>& pixels) {
    if (plan_.plainInput) {  // one group; channel j is a plane of its own
      kb_.forLoop(
          kb_.i64(0), kb_.i64(s_.inPerGroup()), 1,
          [&](Value* j) {
            Value* plane = ir_.CreateAdd(ir_.CreateMul(n_, kb_.i64(s_.inChannels)), j);
            Value* row = ir_.CreateAdd(ir_.CreateMul(plane, kb_.i64(s_.inHeight)), ih);
            emitBroadcastStep(kh, kw, j,
                              kb_.pointer(in_.input, ir_.CreateAdd(ir_.CreateMul(row, kb_.i64(s_.inWidth)), iws[0])),
                              iws.size(), pixels);
          },
          KernelBuilder::Unroll::Never);
      return;
    }
    int64_t lastLanes = s_.inPerGroup() % width_ ? s_.inPerGroup() % width_ : width_;
    Value* lastBlock = kb_.i64(inBlocksPerGroup() - 1);
    bool unrollSteps =
        unrollBroadcastSteps(plan_.vectorRegisters, int(blocks_.size()), int(iws.size()), pairedBlock() >= 0);
    if (unrollSteps) consulted(ConvVariant::NoStepUnroll);
    unrollSteps = unrollSteps && plan_.variant != ConvVariant::NoStepUnroll;
    Value *firstBlock = kb_.i64(0), *endBlock = kb_.i64(inBlocksPerGroup());
    if (batch_) {
      firstBlock = ir_.CreateMul(batch_, kb_.i64(batchBlocks()));
      Value* batchEnd = ir_.CreateAdd(firstBlock, kb_.i64(batchBlocks()));
      endBlock = ir_.CreateSelect(ir_.CreateICmpSLT(batchEnd, endBlock), batchEnd, endBlock);
    }
    Value* tapSteps =
        ir_.CreateMul(ir_.CreateAdd(ir_.CreateMul(kh, kb_.i64(s_.kernelW)), kw), kb_.i64(inBlocksPerGroup()));
    kb_.forLoop(
        firstBlock, endBlock, 1,
        [&](Value* jb) {
          prefetchNextTileWeights(ir_.CreateAdd(tapSteps, jb));
          Value* block = kb_.pointer(in_.input, inputOffset(ir_.CreateAdd(blockShift_, jb), ih, iws[0]));
          Value* lanes = lastLanes == width_
                             ? kb_.i64(width_)
                             : ir_.CreateSelect(ir_.CreateICmpEQ(jb, lastBlock), kb_.i64(lastLanes), kb_.i64(width_));
          kb_.forLoop(
              kb_.i64(0), lanes, 1,
              [&](Value* lane) {
                Value* j = ir_.CreateAdd(ir_.CreateMul(jb, kb_.i64(width_)), lane);
                emitBroadcastStep(kh, kw, j, kb_.pointer(block, lane), iws.size(), pixels);
              },
              unrollSteps ? KernelBuilder::Unroll::ByFour : KernelBuilder::Unroll::Never);
        },
        KernelBuilder::Unroll::Never);
  }

  // Unit (tile t, row oh) prefetches slice oh of tile t+1's weights
  // (tiling.h: weightPrefetchLines); `step` counts the reduction steps of the
  // unit's pixel tile. Tail tiles have no next tile; the last full tile's
  // addresses are clamped to the weights.
  void prefetchNextTileWeights(Value* step) {
    int64_t lineFloats = plan_.caches.lineBytes / int64_t(sizeof(float));
    int64_t tileFloats = plan_.tile.outBlocks * blockWeightFloats(), lastLine = convWeightFloats() - lineFloats;
    int64_t lines =
        weightPrefetchLines(plan_.caches, convWeightFloats(), tileFloats, s_.outHeight, rowTiles(), reductionSteps());
    if (lines == 0 || tile_.constIndex >= 0) return;
    Value* rowStep = ir_.CreateAdd(ir_.CreateMul(pixelTile_, kb_.i64(reductionSteps())), step);
    Value* first = ir_.CreateAdd(ir_.CreateMul(ir_.CreateAdd(tile_.index, kb_.i64(1)), kb_.i64(tileFloats)),
                                 ir_.CreateMul(oh_, kb_.i64(ceilDiv(tileFloats, s_.outHeight))));
    first = ir_.CreateAdd(first, ir_.CreateMul(rowStep, kb_.i64(lines * lineFloats)));
    for (int64_t l = 0; l < lines; ++l) {
      Value* at = ir_.CreateAdd(first, kb_.i64(l * lineFloats));
      kb_.prefetchToL2(in_.weights, ir_.CreateSelect(ir_.CreateICmpSLT(at, kb_.i64(lastLine)), at, kb_.i64(lastLine)));
    }
  }

  int64_t blockWeightFloats() const { return codegen::blockWeightFloats(plan_, width_); }
  int64_t convWeightFloats() const { return codegen::convWeightFloats(plan_, width_); }
  // Reduction steps of a broadcast pixel tile: taps x input blocks of the group.
  int64_t reductionSteps() const { return s_.kernelH * s_.kernelW * inBlocksPerGroup(); }
  int64_t rowTiles() const { return codegen::rowTiles(plan_); }

  // Reduction step j: `row` addresses channel j of the tile's first pixel; the
  // other pixels are constant offsets from it (one base address per step).
  void emitBroadcastStep(Value* kh, Value* kw, Value* j, Value* row, size_t count, const std::vector<int>& pixels) {
    int64_t pixelStride = s_.strideW * (plan_.plainInput ? 1 : width_);
    int paired = pairedBlock();
    updateAccumulators([&](std::vector<Value*>& acc) {
      std::vector<Value*> w;
      for (Value* ob : blocks_) w.push_back(kb_.loadVector(in_.weights, weightOffset(ob, kh, kw, j)));
      Value* pairedWeight = nullptr;  // its low half in both halves
      if (paired >= 0) {
        std::vector<int> lowTwice(width_);
        for (int lane = 0; lane < width_; ++lane) lowTwice[lane] = lane % (width_ / 2);
        pairedWeight = ir_.CreateShuffleVector(w[paired], w[paired], lowTwice);
      }
      // Pixel by pixel (two at a time for a paired block), so few broadcasts are live.
      std::vector<Value*> x(count, nullptr);
      for (size_t k = 0; k < pixels.size(); ++k) {
        int p = pixels[k];
        x[p] = kb_.loadBroadcast(row, kb_.i64(p * pixelStride));
        for (size_t i = 0; i < w.size(); ++i) {
          size_t a = accumulator(int(i), p, int(count));
          if (int(i) != paired) acc[a] = kb_.fma(x[p], w[i], acc[a]);
        }
        bool pairDone = p % 2 == 1 || k + 1 == pixels.size() || pixels[k + 1] != p + 1;
        if (paired < 0 || !pairDone) continue;
        int first = p - p % 2;
        size_t a = accumulator(paired, first, int(count));
        acc[a] = kb_.fma(pairHalves(x[first], first + 1 < int(count) ? x[first + 1] : nullptr), pairedWeight, acc[a]);
      }
    });
  }

  // Input channel read by `lane` of the tile's block `i` in step j; -1 for padded lanes.
  int64_t gatherChannel(int i, int lane, int64_t j) const {
    int64_t tile = tile_.constIndex >= 0 ? tile_.constIndex : 0;
    int64_t o = (tile * plan_.tile.outBlocks + i) * width_ + lane;
    if (o >= s_.outChannels) return -1;
    return o / s_.outPerGroup() * s_.inPerGroup() + j;
  }

  void emitGatherTap(Value* kh, Value* kw, Value* ih, const std::vector<Value*>& iws, const std::vector<int>& pixels) {
    size_t count = iws.size();
    std::map<std::pair<int64_t, int>, Value*> loaded;  // (input block, pixel) -> vector
    Value* row = kb_.pointer(in_.input, inputOffset(blockShift_, ih, iws[0]));
    int64_t blockStride = inputPlaneRows() * s_.inWidth * width_;
    auto load = [&](int64_t block, int p) {
      Value*& vector = loaded[{block, p}];
      if (!vector) vector = kb_.loadVector(row, kb_.i64(block * blockStride + p * s_.strideW * width_));
      return vector;
    };
    // Pixel by pixel, so only one pixel's input vectors are live next to the
    // accumulators and the tap's weights (reduction steps x blocks vectors).
    updateAccumulators([&](std::vector<Value*>& acc) {
      std::vector<Value*> w;
      for (int64_t j = 0; j < s_.inPerGroup(); ++j)
        for (Value* block : blocks_) w.push_back(kb_.loadVector(in_.weights, weightOffset(block, kh, kw, kb_.i64(j))));
      for (int p : pixels)
        for (int64_t j = 0; j < s_.inPerGroup(); ++j)
          for (size_t i = 0; i < blocks_.size(); ++i)
            acc[i * count + p] = kb_.fma(gather(int(i), j, p, load), w[j * blocks_.size() + i], acc[i * count + p]);
    });
  }

  // The vector whose lanes hold the channels gatherChannel names, built from
  // the input blocks they live in with constant shuffles.
  Value* gather(int i, int64_t j, int p, const std::function<Value*(int64_t, int)>& load) {
    std::vector<int64_t> channels(width_);
    std::vector<int64_t> blocks;
    for (int lane = 0; lane < width_; ++lane) {
      channels[lane] = gatherChannel(i, lane, j);
      if (channels[lane] >= 0) blocks.push_back(channels[lane] / width_);
    }
    std::sort(blocks.begin(), blocks.end());
    blocks.erase(std::unique(blocks.begin(), blocks.end()), blocks.end());
    Value* result = nullptr;
    std::vector<int> mask(width_, llvm::PoisonMaskElem);
    for (int64_t block : blocks) {
      for (int lane = 0; lane < width_; ++lane) {
        if (mask[lane] != llvm::PoisonMaskElem) mask[lane] = lane;  // keep what earlier blocks placed
        if (channels[lane] >= 0 && channels[lane] / width_ == block)
          mask[lane] = int(channels[lane] % width_) + (result ? width_ : 0);
      }
      Value* vector = load(block, p);
      result = result ? ir_.CreateShuffleVector(result, vector, mask) : ir_.CreateShuffleVector(vector, mask);
    }
    return result ? result : kb_.zero();
  }

  KernelBuilder& kb_;
  llvm::IRBuilder<>& ir_;
  const ConvPlan& plan_;
  const ConvSpec& s_;
  int width_;
  int64_t inBlocks_, outBlocks_;
  TileSplit tiles_;
  const ConvOperands& in_;
  Value *n_ = nullptr, *oh_ = nullptr, *blockShift_ = nullptr, *pixelTile_ = nullptr;
  Value* batch_ = nullptr;  // the reduction batch being swept; null: one sweep
  Tile tile_{};
  std::vector<Value*> blocks_;
  std::vector<llvm::AllocaInst*> accumulators_;
  std::vector<ConvVariant> inPlay_;
};

}  // namespace

ConvOperands kernelConvOperands(KernelBuilder& kb, int64_t weightOffset, int64_t biasOffset, int residuals) {
  auto at = [&](BufferRole role, int64_t offset) {
    return kb.ir().CreateInBoundsGEP(kb.ir().getFloatTy(), kb.buffer(kConvBuffers, role), kb.i64(offset));
  };
  ConvOperands operands;
  operands.input = kb.buffer(kConvBuffers, BufferRole::Input);
  operands.weights = at(BufferRole::Weights, weightOffset);
  operands.bias = at(BufferRole::Bias, biasOffset);
  operands.output = kb.buffer(kConvBuffers, BufferRole::Output);
  for (int k = 0; k < residuals; ++k) operands.residuals.push_back(kb.buffer(kConvBuffers, BufferRole::Residual, k));
  return operands;
}

// The operands of one part of a conv kernel.
static ConvOperands kernelOperands(KernelBuilder& kb, const ConvPart& part) {
  return kernelConvOperands(kb, part.weightOffset, 0, part.plan.view.epilogue.residualCount());
}

std::vector<ConvVariant> emitConvKernel(llvm::Module& module, const std::string& name,
                                        const std::vector<ConvPart>& parts, int vectorWidth) {
  KernelBuilder kb(module, name, vectorWidth);
  std::vector<ConvVariant> inPlay;
  // Part `part`'s units, numbered from 0.
  auto emitPart = [&](const ConvPart& part, Value* unit) {
    ConvOperands operands = kernelOperands(kb, part);  // the emitter refers to them
    ConvEmitter emitter(kb, part.plan, operands);
    emitter.emitUnit(unit);
    for (ConvVariant variant : emitter.inPlay()) addInPlay(inPlay, variant);
  };
  kb.forLoop(kb.begin(), kb.end(), 1, [&](Value* unit) {
    if (parts.size() == 1) return emitPart(parts[0], unit);
    int64_t first = 0;
    for (const ConvPart& part : parts) {
      int64_t last = first + convWorkUnits(part.plan, vectorWidth);
      llvm::IRBuilder<>& ir = kb.ir();
      Value* mine = ir.CreateAnd(ir.CreateICmpSGE(unit, kb.i64(first)), ir.CreateICmpSLT(unit, kb.i64(last)));
      kb.ifThen(mine, [&] { emitPart(part, ir.CreateSub(unit, kb.i64(first))); });
      first = last;
    }
  });
  return inPlay;
}

void emitConvRows(KernelBuilder& kb, const ConvPlan& plan, const ConvOperands& operands, Value* n, Value* firstRow,
                  Value* endRow) {
  ConvEmitter(kb, plan, operands).emitRows(n, firstRow, endRow);
}

std::vector<ConvVariant> emitConvKernel(llvm::Module& module, const std::string& name, const ConvPlan& plan,
                                        int vectorWidth) {
  return emitConvKernel(module, name, std::vector<ConvPart>{{plan, 0}}, vectorWidth);
}

int64_t convWorkUnits(const ConvPlan& plan, int vectorWidth) {
  return plan.view.batch * tileSplit(plan, vectorWidth).total() * plan.view.outHeight;
}

int64_t convWorkUnits(const std::vector<ConvPart>& parts, int vectorWidth) {
  int64_t units = 0;
  for (const ConvPart& part : parts) units += convWorkUnits(part.plan, vectorWidth);
  return units;
}

}  // namespace convopt::codegen
