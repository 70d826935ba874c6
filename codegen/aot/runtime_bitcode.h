// The ahead-of-time runtime (runtime/aot_runtime.c) as LLVM bitcode, one per
// target architecture, embedded at build time (codegen/CMakeLists.txt).
#pragma once
#include <string_view>

extern "C" {
extern const unsigned char convopt_aot_runtime_x86_64[];
extern const unsigned long convopt_aot_runtime_x86_64_size;
extern const unsigned char convopt_aot_runtime_aarch64[];
extern const unsigned long convopt_aot_runtime_aarch64_size;
}
