// What `convopt optimize` reports about the rewrites a pipeline made: a table
// for people and the same content as JSON (`--report FILE.json`).
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "passes/pass.h"

namespace convopt::passes {

// One row per structural rewrite: pass, node, from-kind -> to-kind, params and
// MACs before/after, weight reconstruction error; then totals.
std::string formatRewriteTable(const std::vector<PassStatistics>& stats);

// {"passes": [{pass, matched, rewritten, seconds, rejections: [{node, reason}]}],
//  "rewrites": [{pass, node, description, before: {...}, after: {...}, reconstruction_error}],
//  "totals": {rewrites, params_before, params_after, macs_before, macs_after, max_reconstruction_error}}
nlohmann::json rewriteReportJson(const std::vector<PassStatistics>& stats);

}  // namespace convopt::passes
