// A cost table: what convolutions and channel copies cost on one runtime on
// one host, as `convopt calibrate` measured them (tools/calibrate/). The cost
// model (cost_model.h) predicts any conv from the table's nearest entries.
//
// A built-in table ships for each runtime a model may be headed for
// (passes/cost_tables/<runtime>.json, embedded at build time; measured and
// dated in docs/PASSES.md); `optimize --cost-table FILE` uses a measured one.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ir/conv_info.h"

namespace convopt::passes {

// A conv kernel's measured throughput at one channel structure.
struct KernelRate {
  ir::ConvKind kind = ir::ConvKind::Dense;
  int64_t inPerGroup = 1;   // input channels per group (1 for depthwise)
  int64_t outPerGroup = 1;  // output channels per group (the depth multiplier for depthwise)
  int64_t kernelElements = 1;
  double macsPerSecond = 0;
  // The fixed time of one such conv, whatever its size (node overhead,
  // per-group loops, layout changes around it); < 0: the table's nodeSeconds.
  double overheadSeconds = -1;
};

struct CostTable {
  std::string runtime;   // "convopt" or "onnxruntime"
  std::string host;      // the CPU it was measured on
  std::string measured;  // date
  std::string source;    // "built-in" or the file it was read from (not part of the JSON)
  int threads = 1;
  double nodeSeconds = 0;                // fixed cost of one conv node (a tiny conv's time)
  double streamBytesPerSecond = 0;       // the memory roofline: what a depthwise 3x3 conv moves per second
  double gatherBytesPerSecond = 0;       // a channel Gather's tensor bytes per second
  double splitConcatBytesPerSecond = 0;  // a Split's or a Concat's tensor bytes per second
  // Depth multipliers the runtime has depthwise kernels for (empty: every one);
  // a depthwise conv with another runs at fallbackMacsPerSecond.
  std::vector<int64_t> nativeDepthMultipliers;
  double fallbackMacsPerSecond = 0;
  std::vector<KernelRate> rates;
};

// The runtimes with a built-in table.
const std::vector<std::string>& builtinRuntimes();
// The built-in table of `runtime`; InputError naming the known ones otherwise.
const CostTable& builtinCostTable(std::string_view runtime);

// JSON text <-> table. parseCostTable throws InputError naming `source` and the
// field that is missing or out of range.
CostTable parseCostTable(std::string_view json, const std::string& source);
std::string costTableJson(const CostTable& table);
CostTable loadCostTable(const std::string& path);

}  // namespace convopt::passes
