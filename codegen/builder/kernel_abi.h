// The calling convention of every generated kernel (see kernel_builder.h):
// buffers in the order the kernel's generator documents, and the half-open
// range of work units to compute.
#pragma once
#include <cstdint>

namespace convopt::codegen {

using KernelFunction = void (*)(float* const* buffers, int64_t begin, int64_t end);

}  // namespace convopt::codegen
