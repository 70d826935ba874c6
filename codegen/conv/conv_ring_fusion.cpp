#include "codegen/conv/conv_ring_fusion.h"

#include <fmt/format.h>

#include <algorithm>

#include "codegen/builder/kernel_builder.h"
#include "codegen/conv/conv_emitter.h"
#include "ir/int_math.h"

namespace convopt::codegen {

namespace {

// The plan whose view's rows are the conv's output rows, with the heuristics'
// choices: a ring's rows follow its own order, and tuning times unfused kernels.
ConvPlan byImageRows(const ConvSpec& spec, ConvPlan plan, const Target& target) {
  if (plan.family == "pointwise") return pointwiseByImageRows(spec, target);
  plan.variant = ConvVariant::Heuristic;
  return plan;
}

int64_t blockedBytes(const ConvSpec& spec, int vectorWidth, int64_t rows) {
  return spec.batch * ceilDiv(spec.outChannels, vectorWidth) * vectorWidth * rows * spec.outWidth *
         int64_t(sizeof(float));
}

}  // namespace

Expected<RingFusionPlan> planRingFusion(const ConvSpec& producerSpec, const ConvPlan& producer,
                                        const ConvSpec& consumerSpec, const ConvPlan& consumer, const Target& target) {
  const ConvSpec &p = producerSpec, &c = consumerSpec;
  if (p.batch < 1 || p.outHeight < 1 || p.outWidth < 1) return Status::refuse("empty intermediate");
  if (p.epilogue.residualCount() > 0) return Status::refuse("producer epilogue reads residual operands");
  for (const ConvSpec* spec : {&p, &c})  // as packed (conv_weights.h), as the emitter's unit order counts them
    if (ceilDiv(spec->outChannels, target.vectorWidth) * target.vectorWidth * spec->inPerGroup() * spec->kernelH *
            spec->kernelW * int64_t(sizeof(float)) >=
        target.caches.streamedWeightBytes)
      return Status::refuse(fmt::format("{} has weights to stream (a ring computes every tile per row)",
                                        spec == &p ? "producer" : "consumer"));
  if (p.batch != c.batch || p.outChannels != c.inChannels || p.outHeight != c.inHeight || p.outWidth != c.inWidth)
    return Status::refuse("consumer does not read the producer's output");
  int width = target.vectorWidth;
  RingFusionPlan plan{byImageRows(p, producer, target), byImageRows(c, consumer, target)};
  int64_t window = (c.kernelH - 1) * c.dilationH + 1;
  plan.ringRows = std::min(window, p.outHeight);
  plan.haloRows = std::max<int64_t>(0, window - c.strideH);
  plan.savedBytes = 2 * blockedBytes(p, width, p.outHeight);
  int64_t ringBytes = blockedBytes(p, width, plan.ringRows) / p.batch;
  if (ringBytes > target.caches.l2Bytes / 4)
    return Status::refuse(
        fmt::format("ring of {} rows ({} KB) does not fit a quarter of L2", plan.ringRows, ringBytes / 1024));
  if (target.ringFusion == RingFusionUse::Always) return plan;
  if (plan.savedBytes / 2 <= target.caches.l2Bytes)
    return Status::refuse(fmt::format("intermediate ({} KB) stays in L2 anyway", plan.savedBytes / 2 / 1024));
  double recomputed = double(p.multiplyAdds()) *
                      std::min(1.0, double(plan.haloRows * kRingCallsPerKernel) / double(p.outHeight * p.batch));
  double recomputeSeconds = recomputed / (kRingMacsPerLanePerSecond * width);
  double savedSeconds = double(plan.savedBytes) / kRingMemoryBytesPerSecond;
  if (savedSeconds < kRingRequiredGain * recomputeSeconds)
    return Status::refuse(fmt::format("recomputing {} halo rows per call costs {:.0f} us, saving the traffic {:.0f} us",
                                      plan.haloRows, recomputeSeconds * 1e6, savedSeconds * 1e6));
  return plan;
}

int64_t ringFusedWorkUnits(const RingFusionPlan& plan) {
  return plan.consumer.view.batch * plan.consumer.view.outHeight;
}

void emitRingFusedKernel(llvm::Module& module, const std::string& name, const RingFusionPlan& plan, int vectorWidth) {
  KernelBuilder kb(module, name, vectorWidth);
  llvm::IRBuilder<>& ir = kb.ir();
  const ConvSpec &p = plan.producer.view, &c = plan.consumer.view;
  llvm::Value* ring = kb.scratchFloats(ceilDiv(p.outChannels, vectorWidth) * vectorWidth * plan.ringRows * p.outWidth);
  ConvOperands producer = kernelConvOperands(kb, 0, 0, 0);
  producer.output = ring, producer.outputRingRows = plan.ringRows;
  ConvOperands consumer = kernelConvOperands(kb, plan.weightOffset, plan.biasOffset, c.epilogue.residualCount());
  consumer.input = ring, consumer.inputRingRows = plan.ringRows;
  // The producer rows consumer row o reads: [first(o), last(o)] within the image.
  auto first = [&](llvm::Value* o) {
    llvm::Value* row = ir.CreateSub(ir.CreateMul(o, kb.i64(c.strideH)), kb.i64(c.padTop));
    return ir.CreateSelect(ir.CreateICmpSLT(row, kb.i64(0)), kb.i64(0), row);
  };
  auto end = [&](llvm::Value* o) {  // last(o) + 1
    llvm::Value* row =
        ir.CreateAdd(ir.CreateMul(o, kb.i64(c.strideH)), kb.i64((c.kernelH - 1) * c.dilationH - c.padTop + 1));
    return ir.CreateSelect(ir.CreateICmpSGT(row, kb.i64(p.outHeight)), kb.i64(p.outHeight), row);
  };
  kb.forLoop(
      kb.begin(), kb.end(), 1,
      [&](llvm::Value* unit) {
        llvm::Value* n = ir.CreateSDiv(unit, kb.i64(c.outHeight));
        llvm::Value* o = ir.CreateSRem(unit, kb.i64(c.outHeight));
        // Rows the previous unit computed are in the ring, unless this unit starts the call or the image.
        llvm::Value* fresh = ir.CreateOr(ir.CreateICmpEQ(unit, kb.begin()), ir.CreateICmpEQ(o, kb.i64(0)));
        llvm::Value* previousEnd = end(ir.CreateSub(o, kb.i64(1)));
        llvm::Value* from = first(o);
        from = ir.CreateSelect(ir.CreateOr(fresh, ir.CreateICmpSLT(previousEnd, from)), from, previousEnd);
        emitConvRows(kb, plan.producer, producer, n, from, end(o));
        emitConvRows(kb, plan.consumer, consumer, n, o, ir.CreateAdd(o, kb.i64(1)));
      },
      KernelBuilder::Unroll::Never);
}

std::string describeRingFusion(const RingFusionPlan& plan) {
  return fmt::format("{} > {}, ring of {} row(s)", describeConvPlan(plan.producer.view, plan.producer),
                     describeConvPlan(plan.consumer.view, plan.consumer), plan.ringRows);
}

}  // namespace convopt::codegen
