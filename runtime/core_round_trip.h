// How far apart two of the host's cores are, as the thread pool feels it: the
// time for a cache line to go from one thread to another and back. The 2-vCPU
// Zen 5 VM of BENCHMARKS.md measured 115-165 ns in some minutes (its vCPUs on
// cores that share a cache) and 420-990 ns in others (distant cores), switching
// by itself within seconds to minutes; in the distant state every line one
// thread wrote and the other reads (a kernel's input, the pool's hand-off)
// costs that much, and 2-thread models ran up to 1.6x slower (BENCHMARKS.md:
// "Two threads ... (2026-12-03)" and "Near and far cores ... (2026-12-05,
// third session)"). `bench --threads N` prints it before and after its runs,
// so a multi-threaded figure says which state it met; session_ab.py and
// compare_onnxruntime.sh record it too.
#pragma once

namespace convopt::runtime {

// Median of a few batches of ping-pongs between the caller and a second
// thread (a thread pool's worker, pinned to a CPU other than the caller's as an
// engine's workers are; runtime/thread_placement.h); about 10 ms. Nanoseconds.
double measureCoreRoundTripNs();

}  // namespace convopt::runtime
