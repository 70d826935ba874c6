#include "codegen/kernels/matmul_kernel.h"
#include "ir/int_math.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <functional>

#include "codegen/builder/epilogue_emitter.h"
#include "codegen/builder/kernel_builder.h"
#include "codegen/builder/tile_split.h"

namespace convopt::codegen {
namespace {

using llvm::Value;

TileSplit rowSplit(const MatMulSpec& s) { return {s.m / s.tile.rows, s.m % s.tile.rows}; }

// Full column tiles hold only complete vectors; the tile with the masked
// vector (N not a multiple of V) is always the last one.
TileSplit columnSplit(const MatMulSpec& s, int width) {
  int64_t full = s.n / width / s.tile.blocks;
  return {full, ceilDiv(s.n, width) - full * s.tile.blocks};
}

class MatMulEmitter {
 public:
  MatMulEmitter(KernelBuilder& kb, const MatMulSpec& spec)
      : kb_(kb),
        ir_(kb.ir()),
        s_(spec),
        width_(kb.vectorWidth()),
        rows_(rowSplit(spec)),
        columns_(columnSplit(spec, width_)) {}

  void emit() {
    BufferLayout layout = matmulBuffers(s_);
    a_ = kb_.buffer(layout, BufferRole::Input), b_ = kb_.buffer(layout, BufferRole::Weights);
    if (s_.bias.present) bias_ = kb_.buffer(layout, BufferRole::Bias);
    output_ = kb_.buffer(layout, BufferRole::Output);
    for (int k = 0; k < s_.epilogue.residualCount(); ++k)
      residuals_.push_back(kb_.buffer(layout, BufferRole::Residual, k));
    kb_.forLoop(kb_.begin(), kb_.end(), 1, [&](Value* unit) {
      Value* rowTile = ir_.CreateURem(unit, kb_.i64(rows_.total()));
      Value* rest = ir_.CreateUDiv(unit, kb_.i64(rows_.total()));
      Value* columnTile = ir_.CreateURem(rest, kb_.i64(columns_.total()));
      setBatch(ir_.CreateUDiv(rest, kb_.i64(columns_.total())));
      forTileKinds(columnTile, columns_, [&](Value* column, bool last) {
        int blocks = last ? int(columns_.last) : s_.tile.blocks;
        int lastLanes = last && s_.n % width_ ? int(s_.n % width_) : width_;
        forTileKinds(rowTile, rows_, [&](Value* row, bool lastRows) {
          emitTile(row, lastRows ? int(rows_.last) : s_.tile.rows, column, blocks, lastLanes);
        });
      });
    });
  }

 private:
  // body(tile index, is the last tile) once per code path: the full tiles with
  // their runtime index, the last tile with a constant one.
  void forTileKinds(Value* index, const TileSplit& split, const std::function<void(Value*, bool)>& body) {
    if (split.full == 0 || split.last == 0) return body(split.full ? index : kb_.i64(0), split.full == 0);
    Value* isFull = ir_.CreateICmpULT(index, kb_.i64(split.full));
    kb_.ifThen(isFull, [&] { body(index, false); });
    kb_.ifThen(ir_.CreateNot(isFull), [&] { body(kb_.i64(split.full), true); });
  }

  // Offsets of the unit's matrices: the batch index split into the output's
  // batch dims, weighted by each operand's strides.
  void setBatch(Value* batch) {
    std::vector<Value*> index(s_.batchDims.size());
    Value* rest = batch;
    for (size_t d = s_.batchDims.size(); d-- > 0;) {
      index[d] = ir_.CreateURem(rest, kb_.i64(s_.batchDims[d]));
      rest = ir_.CreateUDiv(rest, kb_.i64(s_.batchDims[d]));
    }
    auto offset = [&](const std::vector<int64_t>& strides) {
      Value* sum = kb_.i64(0);
      for (size_t d = 0; d < index.size(); ++d)
        if (strides[d] && s_.batchDims[d] > 1) sum = ir_.CreateAdd(sum, ir_.CreateMul(index[d], kb_.i64(strides[d])));
      return sum;
    };
    aBase_ = offset(s_.aBatchStrides), bBase_ = offset(s_.bBatchStrides);
    if (s_.bias.present) biasBase_ = offset(s_.bias.batchStrides);
    outputBase_ = ir_.CreateMul(batch, kb_.i64(s_.m * s_.n));
  }

  // Lanes of vector j of a tile whose last vector has `lastLanes` lanes.
  int lanesOf(int j, int blocks, int lastLanes) const { return j == blocks - 1 ? lastLanes : width_; }

  Value* loadB(Value* k, Value* block, int lanes) {
    if (s_.packedB) {
      Value* row = ir_.CreateAdd(ir_.CreateMul(block, kb_.i64(s_.k)), k);
      return kb_.loadVector(b_, ir_.CreateAdd(bBase_, ir_.CreateMul(row, kb_.i64(width_))));
    }
    Value* column = ir_.CreateMul(block, kb_.i64(width_));
    return kb_.loadLanes(b_, ir_.CreateAdd(bBase_, ir_.CreateAdd(ir_.CreateMul(k, kb_.i64(s_.n)), column)), lanes);
  }

  Value* loadBias(Value* m, Value* block, int lanes) {
    const MatMulBias& bias = s_.bias;
    Value* offset = ir_.CreateAdd(biasBase_, ir_.CreateMul(m, kb_.i64(bias.rowStride)));
    if (bias.columnStride == 0) return kb_.loadBroadcast(bias_, offset);
    return kb_.loadLanes(bias_, ir_.CreateAdd(offset, ir_.CreateMul(block, kb_.i64(width_))), lanes);
  }

  // One register tile: `rows` rows from row tile `rowTile` times `blocks`
  // N-vectors from column tile `columnTile`, accumulated over K, then finished.
  void emitTile(Value* rowTile, int rows, Value* columnTile, int blocks, int lastLanes) {
    Value* firstRow = ir_.CreateMul(rowTile, kb_.i64(s_.tile.rows));
    Value* firstBlock = ir_.CreateMul(columnTile, kb_.i64(s_.tile.blocks));
    std::vector<Value*> m(rows), block(blocks);
    for (int i = 0; i < rows; ++i) m[i] = ir_.CreateAdd(firstRow, kb_.i64(i));
    for (int j = 0; j < blocks; ++j) block[j] = ir_.CreateAdd(firstBlock, kb_.i64(j));
    std::vector<llvm::AllocaInst*> accumulators(size_t(rows) * blocks);
    for (auto& slot : accumulators) slot = kb_.vectorVariable(kb_.zero());
    auto load = [&](llvm::AllocaInst* slot) { return ir_.CreateLoad(slot->getAllocatedType(), slot); };
    kb_.forLoop(kb_.i64(0), kb_.i64(s_.k), 1, [&](Value* k) {
      std::vector<Value*> b(blocks);
      for (int j = 0; j < blocks; ++j) b[j] = loadB(k, block[j], lanesOf(j, blocks, lastLanes));
      for (int i = 0; i < rows; ++i) {
        Value* a = kb_.loadBroadcast(a_, ir_.CreateAdd(aBase_, ir_.CreateAdd(ir_.CreateMul(m[i], kb_.i64(s_.k)), k)));
        for (int j = 0; j < blocks; ++j) {
          llvm::AllocaInst* slot = accumulators[i * blocks + j];
          ir_.CreateStore(kb_.fma(a, b[j], load(slot)), slot);
        }
      }
    });
    for (int i = 0; i < rows; ++i)
      for (int j = 0; j < blocks; ++j) {
        int lanes = lanesOf(j, blocks, lastLanes);
        Value* x = load(accumulators[i * blocks + j]);
        if (s_.alpha != 1) x = ir_.CreateFMul(x, kb_.splat(s_.alpha));
        if (s_.bias.present) {
          Value* bias = loadBias(m[i], block[j], lanes);
          x = s_.bias.scale == 1 ? ir_.CreateFAdd(x, bias) : kb_.fma(bias, kb_.splat(s_.bias.scale), x);
        }
        Value* offset = ir_.CreateAdd(
            outputBase_, ir_.CreateAdd(ir_.CreateMul(m[i], kb_.i64(s_.n)), ir_.CreateMul(block[j], kb_.i64(width_))));
        x = emitEpilogue(kb_, s_.epilogue, x, [&](int r) { return kb_.loadLanes(residuals_[r], offset, lanes); });
        kb_.storeLanes(output_, offset, x, lanes);
      }
  }

  KernelBuilder& kb_;
  llvm::IRBuilder<>& ir_;
  const MatMulSpec& s_;
  int width_;
  TileSplit rows_, columns_;
  Value *a_ = nullptr, *b_ = nullptr, *bias_ = nullptr, *output_ = nullptr;
  std::vector<Value*> residuals_;
  Value *aBase_ = nullptr, *bBase_ = nullptr, *biasBase_ = nullptr, *outputBase_ = nullptr;
};

}  // namespace

int64_t MatMulSpec::batchCount() const {
  int64_t count = 1;
  for (int64_t d : batchDims) count *= d;
  return count;
}

std::string MatMulSpec::describe() const {
  std::string text = fmt::format("{}x{}x{}", m, k, n);
  if (!batchDims.empty()) text = fmt::format("[{}] {}", fmt::join(batchDims, ","), text);
  text += fmt::format(" tile {}x{}", tile.rows, tile.blocks);
  if (packedB) text += " packed B";
  if (!epilogue.steps.empty()) text += " + " + epilogue.describe();
  return text;
}

void foldBatchIntoRows(MatMulSpec& spec) {
  // An operand with `rowStride` continues across matrices when batch dim d
  // steps over exactly the rows of the dims inside it.
  auto continuesRows = [&](const std::vector<int64_t>& strides, int64_t rowStride) {
    int64_t rows = spec.m;
    for (size_t d = spec.batchDims.size(); d-- > 0;) {
      if (spec.batchDims[d] > 1 && strides[d] != rows * rowStride) return false;
      rows *= spec.batchDims[d];
    }
    return true;
  };
  if (spec.batchDims.empty() || !continuesRows(spec.bBatchStrides, 0) || !continuesRows(spec.aBatchStrides, spec.k))
    return;
  if (spec.bias.present && !continuesRows(spec.bias.batchStrides, spec.bias.rowStride)) return;
  spec.m *= spec.batchCount();
  spec.batchDims.clear(), spec.aBatchStrides.clear(), spec.bBatchStrides.clear(), spec.bias.batchStrides.clear();
}

std::vector<float> packMatMulB(std::span<const float> b, int64_t batches, int64_t k, int64_t n, int vectorWidth,
                               float scale) {
  int64_t blocks = ceilDiv(n, vectorWidth);
  std::vector<float> packed(size_t(batches * blocks * k * vectorWidth), 0.0f);
  for (int64_t batch = 0; batch < batches; ++batch)
    for (int64_t row = 0; row < k; ++row)
      for (int64_t column = 0; column < n; ++column) {
        int64_t block = batch * blocks + column / vectorWidth;
        packed[(block * k + row) * vectorWidth + column % vectorWidth] = b[(batch * k + row) * n + column] * scale;
      }
  return packed;
}

void emitMatMulKernel(llvm::Module& module, const std::string& name, const MatMulSpec& spec, int vectorWidth) {
  KernelBuilder kb(module, name, vectorWidth);
  MatMulEmitter(kb, spec).emit();
}

int64_t matmulWorkUnits(const MatMulSpec& spec, int vectorWidth) {
  return spec.batchCount() * rowSplit(spec).total() * columnSplit(spec, vectorWidth).total();
}

}  // namespace convopt::codegen
