#include "codegen/kernels/reduce_kernel.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <functional>
#include <limits>

#include "codegen/builder/kernel_builder.h"
#include "codegen/kernels/plain_rows.h"

namespace convopt::codegen {

std::string ReduceSpec::describe() const {
  static const char* names[] = {"sum", "mean", "max", "min"};
  std::vector<size_t> axes;
  for (size_t d = 0; d < dims.size(); ++d)
    if (reduced[d]) axes.push_back(d);
  return fmt::format("{} over axes [{}] of [{}]", names[int(kind)], fmt::join(axes, ","), fmt::join(dims, "x"));
}

namespace {

using llvm::Value;

// Merged dims: all reduced or all kept; stride = input elements per step.
struct Group {
  int64_t length = 1, stride = 1;
  bool reduced = false;
};

std::vector<Group> groupsOf(const ReduceSpec& spec) {
  std::vector<Group> groups;
  for (size_t d = 0; d < spec.dims.size(); ++d) {
    if (spec.dims[d] == 1) continue;
    if (!groups.empty() && groups.back().reduced == spec.reduced[d])
      groups.back().length *= spec.dims[d];
    else
      groups.push_back({spec.dims[d], 1, spec.reduced[d]});
  }
  if (groups.empty()) groups.push_back({});
  int64_t stride = 1;
  for (auto g = groups.rbegin(); g != groups.rend(); ++g) g->stride = stride, stride *= g->length;
  return groups;
}

std::vector<Group> select(const std::vector<Group>& groups, bool reduced) {
  std::vector<Group> result;
  for (const Group& g : groups)
    if (g.reduced == reduced) result.push_back(g);
  return result;
}

int64_t product(const std::vector<Group>& groups) {
  int64_t n = 1;
  for (const Group& g : groups) n *= g.length;
  return n;
}

// Input offset of `index`, a row-major index over `groups`.
Value* offsetOf(KernelBuilder& kb, const std::vector<Group>& groups, Value* index) {
  llvm::IRBuilder<>& ir = kb.ir();
  Value* offset = kb.i64(0);
  for (auto g = groups.rbegin(); g != groups.rend(); ++g) {
    offset = ir.CreateAdd(offset, ir.CreateMul(ir.CreateSRem(index, kb.i64(g->length)), kb.i64(g->stride)));
    index = ir.CreateSDiv(index, kb.i64(g->length));
  }
  return offset;
}

// body(offset) for every index of `groups` (nested loops), offset = base + its input offset.
void forEachIndex(KernelBuilder& kb, const std::vector<Group>& groups, size_t first, Value* base,
                  const std::function<void(Value*)>& body) {
  if (first == groups.size()) return body(base);
  kb.forLoop(kb.i64(0), kb.i64(groups[first].length), 1, [&](Value* i) {
    forEachIndex(kb, groups, first + 1, kb.ir().CreateAdd(base, kb.ir().CreateMul(i, kb.i64(groups[first].stride))),
                 body);
  });
}

struct Reduction {
  KernelBuilder& kb;
  ReduceKind kind;
  int64_t count;  // reduced elements per output

  float identity() const {
    if (kind == ReduceKind::Max) return -std::numeric_limits<float>::infinity();
    if (kind == ReduceKind::Min) return std::numeric_limits<float>::infinity();
    return 0.0f;
  }
  Value* combine(Value* a, Value* b) const {
    if (kind == ReduceKind::Max) return kb.max(a, b);
    if (kind == ReduceKind::Min) return kb.min(a, b);
    return kb.ir().CreateFAdd(a, b);
  }
  Value* finish(Value* v) const { return kind == ReduceKind::Mean ? kb.ir().CreateFDiv(v, kb.splat(float(count))) : v; }
  void accumulate(llvm::AllocaInst* acc, Value* v) const {
    kb.ir().CreateStore(combine(kb.ir().CreateLoad(acc->getAllocatedType(), acc), v), acc);
  }
};

PlainRows keptRows(const std::vector<Group>& groups, int vectorWidth) {
  std::vector<Group> kept = select(groups, false);
  return PlainRows(product(kept) / kept.back().length, kept.back().length, vectorWidth);
}

// Innermost group kept: output vectors along it, one input vector per reduced index.
void emitAlongKept(KernelBuilder& kb, const std::vector<Group>& groups, const Reduction& reduction) {
  llvm::IRBuilder<>& ir = kb.ir();
  Value* input = kb.buffer(kDataBuffers, BufferRole::Input);
  Value* output = kb.buffer(kDataBuffers, BufferRole::Output);
  std::vector<Group> kept = select(groups, false), reduced = select(groups, true);
  std::vector<Group> outer(kept.begin(), kept.end() - 1);
  PlainRows rows = keptRows(groups, kb.vectorWidth());
  Value *inRow = nullptr, *outRow = nullptr;
  auto rowStart = [&](Value* row) {
    inRow = offsetOf(kb, outer, row);
    outRow = ir.CreateMul(row, kb.i64(rows.inner));
  };
  auto vector = [&](Value* j, int lanes) {
    llvm::AllocaInst* acc = kb.vectorVariable(kb.splat(reduction.identity()));
    forEachIndex(kb, reduced, 0, ir.CreateAdd(inRow, j),
                 [&](Value* offset) { reduction.accumulate(acc, kb.loadLanes(input, offset, lanes)); });
    Value* result = reduction.finish(ir.CreateLoad(acc->getAllocatedType(), acc));
    kb.storeLanes(output, ir.CreateAdd(outRow, j), result, lanes);
  };
  forEachRowVector(kb, rows, rowStart, vector);
}

// Innermost group reduced: one output element per unit, its contiguous runs read as vectors.
void emitAcrossReduced(KernelBuilder& kb, const std::vector<Group>& groups, const Reduction& reduction) {
  llvm::IRBuilder<>& ir = kb.ir();
  int width = kb.vectorWidth();
  Value* input = kb.buffer(kDataBuffers, BufferRole::Input);
  Value* output = kb.buffer(kDataBuffers, BufferRole::Output);
  std::vector<Group> kept = select(groups, false), reduced = select(groups, true);
  int64_t inner = reduced.back().length, full = inner / width * width;
  int tail = int(inner % width);
  reduced.pop_back();
  kb.forLoop(kb.begin(), kb.end(), 1, [&](Value* unit) {
    llvm::AllocaInst* acc = kb.vectorVariable(kb.splat(reduction.identity()));
    forEachIndex(kb, reduced, 0, offsetOf(kb, kept, unit), [&](Value* run) {
      if (full > 0)
        kb.forLoop(kb.i64(0), kb.i64(full), width,
                   [&](Value* j) { reduction.accumulate(acc, kb.loadVector(input, ir.CreateAdd(run, j))); });
      if (tail > 0)
        reduction.accumulate(acc, kb.loadLanes(input, ir.CreateAdd(run, kb.i64(full)), tail, reduction.identity()));
    });
    Value* total = kb.acrossLanes(ir.CreateLoad(acc->getAllocatedType(), acc),
                                  [&](Value* a, Value* b) { return reduction.combine(a, b); });
    Value* result = ir.CreateExtractElement(reduction.finish(total), uint64_t(0));
    ir.CreateAlignedStore(result, kb.pointer(output, unit), llvm::Align(4));
  });
}

}  // namespace

int64_t reduceWorkUnits(const ReduceSpec& spec, int vectorWidth) {
  std::vector<Group> groups = groupsOf(spec);
  if (groups.back().reduced) return product(select(groups, false));
  return keptRows(groups, vectorWidth).units();
}

void emitReduceKernel(llvm::Module& module, const std::string& name, const ReduceSpec& spec, int vectorWidth) {
  KernelBuilder kb(module, name, vectorWidth);
  std::vector<Group> groups = groupsOf(spec);
  Reduction reduction{kb, spec.kind, product(select(groups, true))};
  if (groups.back().reduced)
    emitAcrossReduced(kb, groups, reduction);
  else
    emitAlongKept(kb, groups, reduction);
}

}  // namespace convopt::codegen
