// IRBuilder plus the handful of constructs every kernel generator needs:
// the kernel ABI, vectors of the target's width, loops, FMA.
//
// Kernel ABI: void name(float* const* buffers, int64_t begin, int64_t end) —
// `buffers` are the kernel's tensors in the order its generator documents;
// [begin, end) is the range of work units this call computes, so a thread pool
// can split any kernel.
#pragma once
#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Module.h>

#include "codegen/builder/kernel_abi.h"

namespace convopt::codegen {

class KernelBuilder {
 public:
  KernelBuilder(llvm::Module& module, const std::string& name, int vectorWidth);
  ~KernelBuilder();  // emits the return

  llvm::IRBuilder<>& ir() { return builder_; }
  int vectorWidth() const { return vectorWidth_; }
  llvm::Function* function() const { return function_; }

  llvm::Value* buffer(int index);  // buffers[index], loaded once in the entry block
  llvm::Value* buffer(const BufferLayout& layout, BufferRole role, int residual = 0) {
    return buffer(layout.index(role, residual));
  }
  llvm::Value* begin() const { return begin_; }
  llvm::Value* end() const { return end_; }

  llvm::Value* i64(int64_t value);
  llvm::Value* splat(float value);
  llvm::Value* splat(llvm::Value* scalar);
  llvm::Value* zero() { return splat(0.0f); }
  // `base` is a float*; offsets count floats. pointer() may point outside the
  // buffer (a row's base before its first valid pixel): it is not `inbounds`.
  llvm::Value* pointer(llvm::Value* base, llvm::Value* offset);
  llvm::Value* loadVector(llvm::Value* base, llvm::Value* offset);
  llvm::Value* loadBroadcast(llvm::Value* base, llvm::Value* offset);
  void storeVector(llvm::Value* base, llvm::Value* offset, llvm::Value* vector);
  // The first `lanes` lanes only (masked load/store; lanes == V is a plain
  // access): tails of rows that are not a multiple of V. Loaded lanes past
  // `lanes` hold `fill`.
  llvm::Value* loadLanes(llvm::Value* base, llvm::Value* offset, int lanes, float fill = 0.0f);
  void storeLanes(llvm::Value* base, llvm::Value* offset, llvm::Value* vector, int lanes);
  llvm::Value* laneMask(int lanes);  // <V x i1>: the first `lanes` set
  // Lane l (< lanes) = base[offset + l * stride]: a (masked) vector load for
  // stride 1, the same reversed for -1, a gather otherwise.
  llvm::Value* loadStrided(llvm::Value* base, llvm::Value* offset, int64_t stride, int lanes);
  // A read-only table baked into the module (precomputed indices or weights);
  // read with loadIndex / loadBroadcast, offsets counting elements.
  llvm::Value* constantTable(std::span<const int64_t> values);
  llvm::Value* constantTable(std::span<const float> values);
  llvm::Value* loadIndex(llvm::Value* table, llvm::Value* offset);
  // A hint to bring the cache line at base + offset (floats) into L2; never faults.
  void prefetchToL2(llvm::Value* base, llvm::Value* offset);
  llvm::Value* fma(llvm::Value* a, llvm::Value* b, llvm::Value* accumulator);
  // A NaN in `a` is the result; one in `b` is not.
  llvm::Value* max(llvm::Value* a, llvm::Value* b);
  llvm::Value* min(llvm::Value* a, llvm::Value* b);
  // `op` folded over all lanes of `vector`, the result in every lane (a butterfly of shuffles).
  llvm::Value* acrossLanes(llvm::Value* vector, const std::function<llvm::Value*(llvm::Value*, llvm::Value*)>& op);

  // A vector variable of `initial`'s type (entry-block alloca; promoted to a
  // register by mem2reg), set to `initial` here.
  llvm::AllocaInst* vectorVariable(llvm::Value* initial);
  // Scratch of `count` floats on the calling thread's stack, cache-line
  // aligned, for the whole call (entry-block alloca): a fused kernel's rows
  // that never leave the core (conv/conv_ring_fusion.h).
  llvm::Value* scratchFloats(int64_t count);

  // for (i = first; i < last; i += step) body(i). Unroll::Never keeps it a loop
  // even when LLVM would unroll a short constant trip count; Unroll::ByFour runs
  // four iterations per trip (LLVM adds the remainder).
  enum class Unroll { Allowed, Never, ByFour };
  void forLoop(llvm::Value* first, llvm::Value* last, int64_t step, const std::function<void(llvm::Value*)>& body,
               Unroll unroll = Unroll::Allowed);
  void ifThen(llvm::Value* condition, const std::function<void()>& body);

 private:
  llvm::IRBuilder<> builder_;
  llvm::Function* function_;
  llvm::BasicBlock* entry_;
  llvm::Value* buffers_;
  llvm::Value* begin_;
  llvm::Value* end_;
  int vectorWidth_;
  llvm::Type* vectorType_;
};

}  // namespace convopt::codegen
