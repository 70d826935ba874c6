// Float storage that starts on a cache line. Generated kernels load whole
// vectors (64 bytes on AVX-512) at offsets that are multiples of the vector
// width; from malloc's 16-byte-aligned blocks every such load spans two cache
// lines, which Intel cores pay as two loads (pointwise kernels on a Sapphire
// Rapids host ran 10-25% slower on packed weights straight from malloc).
#pragma once
#include <cstddef>
#include <new>
#include <vector>

namespace convopt::runtime {

inline constexpr std::size_t kCacheLineBytes = 64;

template <typename T>
struct CacheLineAllocator {
  using value_type = T;
  CacheLineAllocator() = default;
  template <typename U>
  CacheLineAllocator(const CacheLineAllocator<U>&) {}
  T* allocate(std::size_t n) {
    return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t(kCacheLineBytes)));
  }
  void deallocate(T* p, std::size_t) { ::operator delete(p, std::align_val_t(kCacheLineBytes)); }
  template <typename U>
  bool operator==(const CacheLineAllocator<U>&) const {
    return true;
  }
};

using AlignedFloats = std::vector<float, CacheLineAllocator<float>>;

}  // namespace convopt::runtime
