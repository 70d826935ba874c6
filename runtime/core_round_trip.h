// How far apart two of the host's cores are, as the thread pool feels it: the
// time for a cache line to go from one thread to another and back. On one
// chip's cores that share a cache it is ~100 ns; on a cloud VM whose vCPUs the
// hypervisor places on distant cores it can be 5-10x that, and then every line
// one thread wrote and the other reads (a kernel's input, the pool's hand-off)
// costs as much — a VM that moves its vCPUs switches between both within
// minutes (BENCHMARKS.md, 2026-12-05 third session). `bench --threads N` prints
// it with every multi-threaded figure, so a figure says which state it met.
#pragma once

namespace convopt::runtime {

// Median of a few batches of ping-pongs between the caller and a second
// thread (placed by the OS, as the pool's are); about 10 ms. Nanoseconds.
double measureCoreRoundTripNs();

}  // namespace convopt::runtime
