// Ring fusion: a conv whose output only the next conv reads (an inverted
// residual block's expand conv and its depthwise conv, a depthwise conv and its
// project conv) hands it over a few rows at a time through a ring of rows on
// the thread's stack, so the wide intermediate never leaves the core.
//
// Rewrite (one kernel; unit = one output row o of the consumer C, one image):
// the producer P computes the rows of its output that row o reads and the
// previous unit of the same call did not (at a call's first unit and an
// image's first row, all of them: the halo is recomputed once per call) into
// the ring, row r at r mod ringRows; C then computes row o reading the ring
// (conv_emitter.h: ConvOperands). Rows are computed in increasing order and a
// ring holds every row one consumer row reads, so a new row only overwrites
// rows no later consumer row reads.
//
// Legality (checked here on specs; the graph side — P's output read by C alone,
// not a graph output, neither conv scaled at run time or a Winograd candidate,
// no chain of rings — by the pre-lowering step fuse-conv-rings): P's epilogue
// without residual operands (they would be read at the ring's offsets), and
// neither conv with weights to stream (CacheBudget::streamedWeightBytes: the
// fused kernel computes every tile of a row before the next row, the order
// that re-reads large weights). Pays (the cost model) when the intermediate
// would leave L2, the round trip saved is worth twice the halo rows recomputed,
// and the ring fits in a quarter of L2 — at most 256 KiB of stack per calling
// thread (glibc gives threads 8 MiB; musl's 128 KiB is too little: --no-ring-fusion).
#pragma once
#include <cstdint>
#include <string>

#include "codegen/conv/conv_plan.h"
#include "ir/status.h"

namespace llvm {
class Module;
}

namespace convopt::codegen {

// The cost model's rates, fitted to in-process A/B runs on a Zen 5 VM
// (scripts/bench/session_ab.py --a ring_fusion=False --b ring_fusion=True): an intermediate's round trip through L3
// overlaps the kernels' compute, so it costs a byte per 10 ps; a conv kernel
// does about 3 G multiply-adds per vector lane per second. Fusion must save
// twice what it recomputes: the fused kernel itself ran 1-2% slower than the
// two kernels when nothing was recomputed and the intermediate stayed in L3.
inline constexpr double kRingMemoryBytesPerSecond = 100e9;
inline constexpr double kRingMacsPerLanePerSecond = 3e9;
inline constexpr double kRingRequiredGain = 2;
// Calls a kernel's range is cut into (thread_pool.h: 4 chunks per thread) at 2
// threads, the hosts this was measured on; more threads recompute more halos.
inline constexpr int64_t kRingCallsPerKernel = 8;

struct RingFusionPlan {
  ConvPlan producer;  // its view's rows are its output rows (a pointwise conv's are not flattened)
  ConvPlan consumer;
  int64_t ringRows = 0;    // producer output rows one consumer row reads
  int64_t haloRows = 0;    // rows two consecutive consumer rows share: recomputed at each call's first unit
  int64_t savedBytes = 0;  // the intermediate, written and read back
  int64_t weightOffset = 0, biasOffset = 0;  // the consumer's, in floats, after the producer's packed ones
};

// Each conv's spec and its direct-convolution plan (conv_plan.h).
Expected<RingFusionPlan> planRingFusion(const ConvSpec& producerSpec, const ConvPlan& producer,
                                        const ConvSpec& consumerSpec, const ConvPlan& consumer, const Target& target);

// Buffers as a conv kernel's (kernel_abi.h): the producer's input, the packed
// weights and biases of both (the consumer's at weightOffset / biasOffset), the
// consumer's output and residuals. Units: batch x the consumer's output rows.
void emitRingFusedKernel(llvm::Module& module, const std::string& name, const RingFusionPlan& plan, int vectorWidth);
int64_t ringFusedWorkUnits(const RingFusionPlan& plan);

// "pointwise conv1x1_... tile 4x6 + silu > depthwise conv3x3_... tile 1x14 + silu, ring of 3 row(s)": for --explain.
std::string describeRingFusion(const RingFusionPlan& plan);

}  // namespace convopt::codegen
