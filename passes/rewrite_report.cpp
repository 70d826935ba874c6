#include "passes/rewrite_report.h"

#include <fmt/format.h>

#include <algorithm>

namespace convopt::passes {
namespace {

struct Totals {
  int64_t rewrites = 0, paramsBefore = 0, paramsAfter = 0, macsBefore = 0, macsAfter = 0;
  double maxError = 0;
};

Totals totalsOf(const std::vector<PassStatistics>& stats) {
  Totals t;
  for (const PassStatistics& s : stats)
    for (const RewriteRecord& r : s.rewrites) {
      ++t.rewrites;
      t.paramsBefore += r.before.params;
      t.paramsAfter += r.after.params;
      t.macsBefore += r.before.macs;
      t.macsAfter += r.after.macs;
      t.maxError = std::max(t.maxError, r.reconstructionError);
    }
  return t;
}

nlohmann::json figuresJson(const ConvFigures& f) {
  return {{"kind", f.kind}, {"params", f.params}, {"macs", f.macs}, {"estimated_seconds", f.seconds}};
}

}  // namespace

std::string formatRewriteTable(const std::vector<PassStatistics>& stats) {
  Totals t = totalsOf(stats);
  if (t.rewrites == 0) return "no convolution was rewritten\n";
  std::string out = fmt::format("{:<22} {:<40} {:<34} {:>21} {:>25} {:>9}\n", "pass", "node", "from -> to",
                                "params before->after", "MACs before->after", "rel.err");
  for (const PassStatistics& s : stats)
    for (const RewriteRecord& r : s.rewrites)
      out += fmt::format("{:<22} {:<40} {:<34} {:>21} {:>25} {:>9.2g}\n", s.pass,
                         r.scope.empty() ? r.node : r.scope + ": " + r.node, r.before.kind + " -> " + r.after.kind,
                         fmt::format("{}->{}", r.before.params, r.after.params),
                         fmt::format("{}->{}", r.before.macs, r.after.macs), r.reconstructionError);
  out += fmt::format("{:<22} {:<40} {:<34} {:>21} {:>25} {:>9.2g}\n", "total", fmt::format("{} rewrites", t.rewrites),
                     "", fmt::format("{}->{}", t.paramsBefore, t.paramsAfter),
                     fmt::format("{}->{}", t.macsBefore, t.macsAfter), t.maxError);
  return out;
}

nlohmann::json rewriteReportJson(const std::vector<PassStatistics>& stats) {
  nlohmann::json passes = nlohmann::json::array(), rewrites = nlohmann::json::array();
  for (const PassStatistics& s : stats) {
    nlohmann::json rejections = nlohmann::json::array();
    for (const Rejection& r : s.rejections) rejections.push_back({{"node", r.node}, {"reason", r.reason}});
    passes.push_back({{"pass", s.pass},
                      {"matched", s.matched},
                      {"rewritten", s.rewritten},
                      {"seconds", s.seconds},
                      {"rejections", rejections}});
    for (const RewriteRecord& r : s.rewrites)
      rewrites.push_back({{"pass", s.pass},
                          {"scope", r.scope},
                          {"node", r.node},
                          {"description", r.description},
                          {"before", figuresJson(r.before)},
                          {"after", figuresJson(r.after)},
                          {"reconstruction_error", r.reconstructionError}});
  }
  Totals t = totalsOf(stats);
  nlohmann::json totals = {{"rewrites", t.rewrites},        {"params_before", t.paramsBefore},
                           {"params_after", t.paramsAfter}, {"macs_before", t.macsBefore},
                           {"macs_after", t.macsAfter},     {"max_reconstruction_error", t.maxError}};
  return {{"passes", passes}, {"rewrites", rewrites}, {"totals", totals}};
}

}  // namespace convopt::passes
