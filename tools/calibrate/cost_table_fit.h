// From probe timings to a cost table (passes/cost_table.h). Each probe's pair
// of models differs by kProbeRepeats copies of its op, so one op takes
// (with - without) / kProbeRepeats; then
//   node overhead   = the tiny conv's time
//   conv rate       = (MACs - twin's MACs) / (time - twin's time): a conv probe
//                     and its small twin (probe_models.h)
//   conv overhead   = twin's time - twin's MACs / rate (at least 0)
//   depth multiplier = MACs / (time - the depthwise entries' overhead - its
//                     pointwise conv's predicted time) (at least a quarter of the time counts as
//                     work, so noise cannot make it infinite; one the runtime has
//                     no kernel for: the fallback rate)
//   stream bandwidth = the depthwise 3x3 probe's bytes moved / (time - node
//                     overhead): the memory roofline (its tensors, like most
//                     layers' at batch 1, live in the outer caches)
//   gather          = tensor bytes / time
//   split + concat  = 2 x tensor bytes / time (two ops, each over the tensor)
#pragma once
#include <string>
#include <vector>

#include "passes/cost_table.h"
#include "tools/calibrate/probe_models.h"

namespace convopt::tools::calibrate {

struct ProbeTiming {
  Probe probe;
  double withoutMs = 0, withMs = 0;  // median whole-inference times of the pair
  double opSeconds() const;          // one copy of the probed op
};

struct TableIdentity {
  std::string runtime, host, measured;
  int threads = 1;
  // The depth multipliers the runtime has kernels for (empty: all); a probe
  // with another one measures the fallback rate.
  std::vector<int64_t> nativeDepthMultipliers;
};

passes::CostTable fitCostTable(const std::vector<ProbeTiming>& timings, const TableIdentity& identity);

}  // namespace convopt::tools::calibrate
