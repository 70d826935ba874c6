#include "runtime/reference/spatial.h"
#include "ir/int_math.h"

#include <fmt/ranges.h>

namespace convopt::runtime::reference {
namespace {

std::vector<int64_t> perDimAttribute(const KernelContext& ctx, const char* name, size_t rank, int64_t fallback) {
  std::vector<int64_t> values = ctx.getInts(name, std::vector<int64_t>(rank, fallback));
  if (values.size() != rank) ctx.fail("attribute {} has {} values, expected {}", name, values.size(), rank);
  for (int64_t v : values)
    if (v < (fallback == 0 ? 0 : 1)) ctx.fail("attribute {} = [{}] is out of range", name, fmt::join(values, ","));
  return values;
}

}  // namespace

WindowGeometry slidingWindow(const KernelContext& ctx, std::vector<int64_t> input, std::vector<int64_t> kernel,
                             bool ceilMode) {
  const size_t rank = input.size();
  WindowGeometry g;
  g.input = std::move(input);
  g.kernel = std::move(kernel);
  g.strides = perDimAttribute(ctx, "strides", rank, 1);
  g.dilations = perDimAttribute(ctx, "dilations", rank, 1);
  std::vector<int64_t> pads = perDimAttribute(ctx, "pads", 2 * rank, 0);
  g.padBegin.assign(pads.begin(), pads.begin() + rank);
  g.padEnd.assign(pads.begin() + rank, pads.end());
  std::string autoPad = ctx.getString("auto_pad", "NOTSET");
  g.output.resize(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t extent = (g.kernel[i] - 1) * g.dilations[i] + 1;
    if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
      g.output[i] = ceilDiv(g.input[i], g.strides[i]);
      int64_t total = std::max<int64_t>(0, (g.output[i] - 1) * g.strides[i] + extent - g.input[i]);
      // SAME_UPPER puts the odd extra padding at the end, SAME_LOWER at the beginning.
      g.padBegin[i] = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
      g.padEnd[i] = total - g.padBegin[i];
      continue;
    }
    if (autoPad == "VALID")
      g.padBegin[i] = g.padEnd[i] = 0;
    else if (autoPad != "NOTSET")
      ctx.fail("unknown auto_pad '{}'", autoPad);
    int64_t span = g.input[i] + g.padBegin[i] + g.padEnd[i] - extent;
    if (span < 0) ctx.fail("window of extent {} does not fit the padded input along spatial dim {}", extent, i);
    g.output[i] = windowCount(g.input[i], g.padBegin[i], span, g.strides[i], ceilMode);
  }
  return g;
}

WindowGeometry transposedWindow(const KernelContext& ctx, std::vector<int64_t> input, std::vector<int64_t> kernel) {
  const size_t rank = kernel.size();
  WindowGeometry g;
  g.input = std::move(input);
  g.kernel = std::move(kernel);
  g.strides = ctx.getInts("strides", std::vector<int64_t>(rank, 1));
  g.dilations = ctx.getInts("dilations", std::vector<int64_t>(rank, 1));
  std::vector<int64_t> pads = ctx.getInts("pads", std::vector<int64_t>(2 * rank, 0));
  std::vector<int64_t> outputPadding = ctx.getInts("output_padding", std::vector<int64_t>(rank, 0));
  std::vector<int64_t> outputShape = ctx.getInts("output_shape");
  std::string autoPad = ctx.getString("auto_pad", "NOTSET");
  if (g.strides.size() != rank || g.dilations.size() != rank || pads.size() != 2 * rank ||
      outputPadding.size() != rank || (!outputShape.empty() && outputShape.size() < rank))
    ctx.fail("strides/dilations/pads/output_padding/output_shape do not match {} spatial dims", rank);
  for (size_t i = 0; i < rank; ++i)
    if (g.strides[i] < 1 || g.dilations[i] < 1) ctx.fail("strides and dilations must be positive");
  if (!outputShape.empty()) outputShape.erase(outputShape.begin(), outputShape.end() - rank);
  bool same = autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER";
  g.output.resize(rank);
  g.padBegin.resize(rank);
  g.padEnd.resize(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t full = g.strides[i] * (g.input[i] - 1) + outputPadding[i] + (g.kernel[i] - 1) * g.dilations[i] + 1;
    if (!outputShape.empty() || same) {
      g.output[i] = outputShape.empty() ? g.input[i] * g.strides[i] : outputShape[i];
      int64_t total = full - g.output[i];  // negative when output_shape asks for more
      g.padBegin[i] = autoPad == "SAME_UPPER" ? floorDiv(total, 2) : total - floorDiv(total, 2);
      g.padEnd[i] = total - g.padBegin[i];
    } else {
      if (autoPad != "NOTSET" && autoPad != "VALID") ctx.fail("unknown auto_pad '{}'", autoPad);
      bool valid = autoPad == "VALID";
      g.padBegin[i] = valid ? 0 : pads[i];
      g.padEnd[i] = valid ? 0 : pads[rank + i];
      g.output[i] = full - g.padBegin[i] - g.padEnd[i];
    }
    if (g.output[i] <= 0) ctx.fail("output spatial dim {} would be {}", i, g.output[i]);
  }
  return g;
}

}  // namespace convopt::runtime::reference
