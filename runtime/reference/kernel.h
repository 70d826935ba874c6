// What a reference kernel sees (one node, its input tensors, the opset) and the
// op registry that maps op names to kernels. Each op family registers its
// kernels in its own file (conv.cpp, pool.cpp, ...).
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <span>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "ir/error.h"
#include "ir/graph.h"
#include "runtime/reference/interpreter.h"

namespace convopt::runtime::reference {

// `v` in D. A float into an integer saturates at D's range and NaN becomes 0:
// a plain cast of an out-of-range float is undefined behaviour.
template <typename D, typename S>
D saturatingCast(S v) {
  if constexpr (std::is_floating_point_v<S> && std::is_integral_v<D>) {
    if (std::isnan(v)) return D(0);
    if (v <= S(std::numeric_limits<D>::lowest())) return std::numeric_limits<D>::lowest();
    if (v >= S(std::numeric_limits<D>::max())) return std::numeric_limits<D>::max();
  }
  return static_cast<D>(v);
}

// memcpy where copying nothing is fine: an empty tensor's buffer is null, and
// memcpy from null is undefined behaviour even for 0 bytes (UBSan, the fuzzers).
inline void copyBytes(void* dst, const void* src, size_t n) {
  if (n > 0) std::memcpy(dst, src, n);
}

using ir::DType;
using ir::Tensor;

class KernelContext {
 public:
  // `implicitInputs`: the tensors of node.implicitInputs(), in that order (what its bodies capture).
  // `bodyRunner` (optional) runs the node's bodies instead of the interpreter.
  KernelContext(const ir::Node& node, std::span<const Tensor* const> inputs, int64_t opset,
                std::span<const Tensor* const> implicitInputs = {}, const BodyRunner* bodyRunner = nullptr)
      : node(node), opset(opset), inputs_(inputs), implicitInputs_(implicitInputs), bodyRunner_(bodyRunner) {}

  const ir::Node& node;
  size_t numInputs() const { return inputs_.size(); }
  size_t numOutputs() const { return node.outputs().size(); }
  bool hasInput(size_t i) const { return i < inputs_.size() && inputs_[i] != nullptr; }
  // A required input; InputError naming the node if it is missing.
  const Tensor& input(size_t i) const;
  const Tensor* optionalInput(size_t i) const { return hasInput(i) ? inputs_[i] : nullptr; }

  int64_t getInt(std::string_view name, int64_t fallback) const { return node.getInt(name, fallback); }
  float getFloat(std::string_view name, float fallback) const { return node.getFloat(name, fallback); }
  std::string getString(std::string_view name, std::string fallback) const {
    return node.getString(name, std::move(fallback));
  }
  std::vector<int64_t> getInts(std::string_view name, std::vector<int64_t> fallback = {}) const {
    return node.getInts(name, std::move(fallback));
  }
  bool hasAttribute(std::string_view name) const { return node.findAttribute(name) != nullptr; }
  // The body held by graph attribute `name`; fails if the node has none.
  const ir::Graph& body(std::string_view name) const;
  // Runs a body of this node on its positional inputs, its captures bound to
  // this node's implicit inputs; returns its outputs in order.
  std::vector<Tensor> runBody(const ir::Graph& body, std::span<const Tensor* const> inputs) const;

  // An InputError prefixed with the op and node.
  template <typename... Args>
  [[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) const {
    throw InputError(
        fmt::format("{} node '{}': {}", node.opType, node.label(), fmt::format(format, std::forward<Args>(args)...)));
  }
  // Axis in [-rank, rank) -> [0, rank); fails otherwise.
  int64_t normalizeAxis(int64_t axis, int64_t rank) const;

  const int64_t opset;

 private:
  std::span<const Tensor* const> inputs_;
  std::span<const Tensor* const> implicitInputs_;
  const BodyRunner* bodyRunner_;
};

using Kernel = std::function<std::vector<Tensor>(const KernelContext&)>;

class KernelRegistry {
 public:
  void add(const std::string& opType, Kernel kernel);
  const Kernel* find(const std::string& domain, const std::string& opType) const;

 private:
  std::unordered_map<std::string, Kernel> kernels_;
};

// The one registry, filled on first use by every family's register function.
const KernelRegistry& kernelRegistry();

void registerConvKernels(KernelRegistry& registry);
void registerPoolKernels(KernelRegistry& registry);
void registerElementwiseKernels(KernelRegistry& registry);
void registerActivationKernels(KernelRegistry& registry);
void registerNormalizationKernels(KernelRegistry& registry);
void registerMatmulKernels(KernelRegistry& registry);
void registerShapeKernels(KernelRegistry& registry);
void registerSliceKernels(KernelRegistry& registry);
void registerResizeKernels(KernelRegistry& registry);
void registerReduceKernels(KernelRegistry& registry);
void registerGeneratorKernels(KernelRegistry& registry);
void registerIndexKernels(KernelRegistry& registry);
void registerDetectionKernels(KernelRegistry& registry);
void registerLossKernels(KernelRegistry& registry);
void registerQuantizationKernels(KernelRegistry& registry);
void registerGridSampleKernels(KernelRegistry& registry);
void registerRecurrentKernels(KernelRegistry& registry);
void registerEinsumKernels(KernelRegistry& registry);
void registerControlFlowKernels(KernelRegistry& registry);

// Row-major strides of `dims`.
std::vector<int64_t> stridesOf(const std::vector<int64_t>& dims);
int64_t product(std::span<const int64_t> dims);

// Calls fn(T{}) with the C++ type storing `dtype` (bool as uint8_t); fails
// for types the interpreter does not compute with.
template <typename Fn>
decltype(auto) dispatchNumeric(const KernelContext& ctx, DType dtype, Fn&& fn) {
  switch (dtype) {
    case DType::Float:
      return fn(float{});
    case DType::Double:
      return fn(double{});
    case DType::Int8:
      return fn(int8_t{});
    case DType::Uint8:
      return fn(uint8_t{});
    case DType::Bool:
      return fn(uint8_t{});
    case DType::Int16:
      return fn(int16_t{});
    case DType::Uint16:
      return fn(uint16_t{});
    case DType::Int32:
      return fn(int32_t{});
    case DType::Int64:
      return fn(int64_t{});
    case DType::Uint32:
      return fn(uint32_t{});
    case DType::Uint64:
      return fn(uint64_t{});
    default:
      ctx.fail("element type {} is not supported", ir::dtypeName(dtype));
  }
}

// Float32 is the only floating type the CNN kernels (conv, pool, ...) need.
void requireFloat(const KernelContext& ctx, const Tensor& t, const char* what);

}  // namespace convopt::runtime::reference
