#include "tools/run_trace.h"

#include <fmt/format.h>

namespace convopt::tools {

nlohmann::json traceEventJson(const std::vector<codegen::TraceSpan>& spans,
                              const std::vector<codegen::StepProfile>& steps, int threads) {
  nlohmann::json events = nlohmann::json::array();
  auto trackName = [&](int track, const std::string& name) {
    events.push_back({{"name", "thread_name"}, {"ph", "M"}, {"pid", 1}, {"tid", track}, {"args", {{"name", name}}}});
  };
  trackName(0, "steps");
  for (int t = 0; t < threads; ++t) trackName(1 + t, t == 0 ? "thread 0 (the caller)" : fmt::format("thread {}", t));
  for (const codegen::TraceSpan& span : spans) {
    const codegen::StepProfile& step = steps.at(size_t(span.step));
    nlohmann::json args = {{"run", span.run}, {"step", span.step}};
    if (span.thread < 0)
      args["units"] = step.units, args["threads"] = span.threads;
    else
      args["begin_unit"] = span.beginUnit, args["end_unit"] = span.endUnit;
    events.push_back({{"name", step.label},
                      {"cat", step.category},
                      {"ph", "X"},
                      {"ts", span.startUs},
                      {"dur", span.endUs - span.startUs},
                      {"pid", 1},
                      {"tid", span.thread < 0 ? 0 : 1 + span.thread},
                      {"args", args}});
  }
  return {{"traceEvents", events}, {"displayTimeUnit", "ns"}};
}

double threadBusyShare(const std::vector<codegen::TraceSpan>& spans) {
  double threadUs = 0, chunkUs = 0;
  for (const codegen::TraceSpan& span : spans)
    (span.thread < 0 ? threadUs : chunkUs) += (span.endUs - span.startUs) * (span.thread < 0 ? span.threads : 1);
  return threadUs > 0 ? chunkUs / threadUs : 0.0;
}

}  // namespace convopt::tools
