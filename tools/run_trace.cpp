#include "tools/run_trace.h"

#include <fmt/format.h>

#include <map>
#include <set>
#include <utility>

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

std::vector<ThreadShare> threadShares(const std::vector<codegen::TraceSpan>& spans, int threads) {
  // (run, step) handed to the pool: a run on several threads, a step of more than one unit
  // (one unit, or a reference fallback, runs on the caller).
  std::set<std::pair<int, int>> shared;
  std::set<int> runs;
  for (const codegen::TraceSpan& span : spans)
    if (span.thread < 0 && span.threads > 1 && span.endUnit - span.beginUnit > 1)
      shared.insert({span.run, span.step}), runs.insert(span.run);
  struct Part {
    double units = 0, us = 0;
  };
  std::map<std::pair<int, int>, std::vector<Part>> parts;  // per shared step, per thread
  double allUnits = 0;
  for (const codegen::TraceSpan& span : spans) {
    if (span.thread < 0 || span.thread >= threads || !shared.count({span.run, span.step})) continue;
    Part& part = parts.try_emplace({span.run, span.step}, size_t(threads)).first->second[size_t(span.thread)];
    part.units += double(span.endUnit - span.beginUnit), part.us += span.endUs - span.startUs;
    allUnits += double(span.endUnit - span.beginUnit);
  }
  std::vector<ThreadShare> shares;
  for (int t = 0; t < threads; ++t) {
    double units = 0, us = 0, usBeside = 0, usAtCallersRate = 0;  // the last two: in steps where both ran units
    for (const auto& [key, step] : parts) {
      const Part &mine = step[size_t(t)], &caller = step[0];
      units += mine.units, us += mine.us;
      if (mine.units > 0 && caller.units > 0)
        usBeside += mine.us, usAtCallersRate += mine.units / caller.units * caller.us;  // the caller's: exactly 1
    }
    shares.push_back({t, allUnits > 0 ? units / allUnits : 0, runs.empty() ? 0 : us / double(runs.size()),
                      usAtCallersRate > 0 ? std::optional(usBeside / usAtCallersRate) : std::nullopt});
  }
  return shares;
}

}  // namespace convopt::tools
