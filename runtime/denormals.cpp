#include "runtime/denormals.h"

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#define CONVOPT_HAS_MXCSR 1
#endif

namespace convopt::runtime {

#ifdef CONVOPT_HAS_MXCSR
namespace {
constexpr unsigned kFlushToZero = 0x8000, kDenormalsAreZero = 0x0040;
}

DenormalsAreZero::DenormalsAreZero(bool enable) : enabled_(enable) {
  if (!enabled_) return;
  saved_ = _mm_getcsr();
  _mm_setcsr(saved_ | kFlushToZero | kDenormalsAreZero);
}

DenormalsAreZero::~DenormalsAreZero() {
  if (enabled_) _mm_setcsr(saved_);
}
#else
DenormalsAreZero::DenormalsAreZero(bool enable) : enabled_(enable) {}
DenormalsAreZero::~DenormalsAreZero() = default;
#endif

}  // namespace convopt::runtime
