// The host's memory bandwidth as kernels see it: bytes read plus bytes written
// per second by a copy much larger than the caches, split over a thread pool.
// What `bench --profile` divides a step's GB/s by.
#pragma once
#include "runtime/thread_pool.h"

namespace convopt::runtime {

// Best of a few trials (about 50 ms in all); GB/s, 1 GB = 1e9 bytes.
double measureCopyGBps(ThreadPool& pool);

}  // namespace convopt::runtime
