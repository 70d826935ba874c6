// The op registry and the small helpers every kernel family shares.
#include "runtime/reference/kernel.h"

namespace convopt::runtime::reference {

const Tensor& KernelContext::input(size_t i) const {
  if (!hasInput(i)) fail("required input {} is missing", i);
  return *inputs_[i];
}

int64_t KernelContext::normalizeAxis(int64_t axis, int64_t rank) const {
  if (axis < -rank || axis >= std::max<int64_t>(rank, 1)) fail("axis {} is out of range for rank {}", axis, rank);
  return axis < 0 ? axis + rank : axis;
}

const ir::Graph& KernelContext::body(std::string_view name) const {
  const ir::Attribute* a = node.findAttribute(name);
  if (!a || a->kind != ir::AttrKind::Graph) fail("graph attribute '{}' is missing", name);
  return *a->graphs.at(0);
}

void KernelRegistry::add(const std::string& opType, Kernel kernel) { kernels_[opType] = std::move(kernel); }

const Kernel* KernelRegistry::find(const std::string& domain, const std::string& opType) const {
  if (!domain.empty() && domain != "ai.onnx") return nullptr;
  auto it = kernels_.find(opType);
  return it == kernels_.end() ? nullptr : &it->second;
}

const KernelRegistry& kernelRegistry() {
  static const KernelRegistry registry = [] {
    KernelRegistry r;
    for (auto registerFamily :
         {registerConvKernels, registerPoolKernels, registerElementwiseKernels, registerActivationKernels,
          registerNormalizationKernels, registerMatmulKernels, registerShapeKernels, registerSliceKernels,
          registerResizeKernels, registerReduceKernels, registerGeneratorKernels, registerIndexKernels,
          registerDetectionKernels, registerLossKernels, registerQuantizationKernels, registerGridSampleKernels,
          registerRecurrentKernels, registerEinsumKernels, registerControlFlowKernels})
      registerFamily(r);
    return r;
  }();
  return registry;
}

std::vector<int64_t> stridesOf(const std::vector<int64_t>& dims) {
  std::vector<int64_t> strides(dims.size(), 1);
  for (size_t i = dims.size(); i-- > 1;) strides[i - 1] = strides[i] * dims[i];
  return strides;
}

int64_t product(std::span<const int64_t> dims) {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

void requireFloat(const KernelContext& ctx, const Tensor& t, const char* what) {
  if (t.dtype() != DType::Float)
    ctx.fail("{} has element type {}; only float is supported", what, ir::dtypeName(t.dtype()));
}

}  // namespace convopt::runtime::reference
