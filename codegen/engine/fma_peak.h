// The machine's measured single-thread FMA peak, the 100% of the benchmarks'
// "% of peak": a generated loop of independent vector FMAs (enough chains to
// cover the FMA latency) timed for a fixed number of iterations.
#pragma once
#include "codegen/engine/target.h"

namespace convopt::codegen {

// Floating-point operations per second (an FMA counts 2 per lane), in GFLOP/s.
double measureFmaPeakGflops(const Target& target);

}  // namespace convopt::codegen
