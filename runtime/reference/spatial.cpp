#include "runtime/reference/spatial.h"

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

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

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
    if (autoPad == "VALID") g.padBegin[i] = g.padEnd[i] = 0;
    else if (autoPad != "NOTSET") ctx.fail("unknown auto_pad '{}'", autoPad);
    int64_t span = g.input[i] + g.padBegin[i] + g.padEnd[i] - extent;
    if (span < 0) ctx.fail("window of extent {} does not fit the padded input along spatial dim {}", extent, i);
    g.output[i] = (ceilMode ? ceilDiv(span, g.strides[i]) : span / g.strides[i]) + 1;
    if (ceilMode && (g.output[i] - 1) * g.strides[i] >= g.input[i] + g.padBegin[i]) --g.output[i];
  }
  return g;
}

}  // namespace convopt::runtime::reference
