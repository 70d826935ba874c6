// `convopt bench --processes N`: the same benchmark in N fresh processes, one
// after another. Where a process's threads land, and on a VM where the host
// places its vCPUs (near or far apart), decides how fast its 2-thread runs
// are, so one process's median says little about the next; the spread across
// fresh processes is what a deployment sees.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace convopt::tools {

// Runs `convopt ARGS...` (this executable) `processes` times, each printing one
// JSON object with "median_ms" on stdout; returns those objects in run order.
// Throws InputError if a process fails or prints something else.
std::vector<nlohmann::json> freshProcessResults(const std::vector<std::string>& args, int processes);

// "10 fresh processes: medians 0.71-0.77 ms (median 0.74), slowest/fastest 1.08"
std::string describeSpread(const std::vector<double>& medians);

}  // namespace convopt::tools
