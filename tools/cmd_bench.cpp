// convopt bench MODEL [--threads N] [--runs R] [--json]: compiles the model once
// with the JIT engine, warms up, times whole inferences, prints min / median /
// p90 latency in milliseconds. --profile then times every step over as many
// more runs and prints where the time goes, by kernel family and by step.
// --processes N repeats all that in N fresh processes (fresh_processes.h).
// --trace FILE writes a timeline of a few more runs (run_trace.h).
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "codegen/engine/fma_peak.h"
#include "codegen/engine/jit_engine.h"
#include "codegen/engine/target.h"
#include "codegen/engine/tuning_cache.h"
#include "ir/atomic_file.h"
#include "ir/error.h"
#include "ir/onnx_io.h"
#include "ir/shape_inference.h"
#include "ir/verifier.h"
#include "runtime/copy_bandwidth.h"
#include "runtime/core_round_trip.h"
#include "runtime/median.h"
#include "runtime/random_inputs.h"
#include "tools/commands.h"
#include "tools/fresh_processes.h"
#include "tools/plan_printer.h"
#include "tools/run_trace.h"
#include "tools/winograd_option.h"

namespace convopt::tools {

namespace {

struct BenchOptions {
  std::string model;
  int threads = 0;
  int runs = 20;
  int warmup = 3;
  bool json = false;
  bool profile = false;
  int top = 15;
  std::string cpu;
  bool keepDenormals = false;
  std::vector<std::string> shapes;
  int processes = 0;
  bool fixedThreads = false;
  bool roofline = false;
  WinogradChoice winograd;
  codegen::RingFusionUse ringFusion = codegen::RingFusionUse::Auto;
  bool kernelCache = true;
  std::string trace;  // file
  double idleMs = 0;  // before each timed run
};

constexpr int kTracedRuns = 5;

// The share of runs the engine ran on one thread (EngineOptions::adaptThreads).
double oneThreadShare(const codegen::JitEngine::ThreadRuns& runs) {
  uint64_t total = runs.oneThread + runs.allThreads;
  return total ? double(runs.oneThread) / double(total) : 0.0;
}

struct CategoryTime {
  std::string category;
  double ms = 0;
  int steps = 0;
  int64_t macs = 0, bytes = 0;
};

using codegen::HostPeaks;

// What this host's cores can do at the engine's thread count — the kernels' FMA
// peak and a large copy's bandwidth — measured the first time --profile or
// --roofline asks (about 0.2 s), then read from the tuning cache; without a
// writable cache, measured every time.
HostPeaks hostPeaks(const std::string& cpu, int threads) {
  std::filesystem::path cache = codegen::tuningCachePath();
  std::string hostKey = codegen::tuningHostKey(cpu, threads);
  if (std::optional<HostPeaks> cached = codegen::loadHostPeaks(cache, hostKey)) return *cached;
  runtime::ThreadPool pool(threads);
  HostPeaks peaks{codegen::measureFmaPeakGflops(codegen::selectTarget(cpu)) * threads, runtime::measureCopyGBps(pool)};
  try {
    codegen::storeHostPeaks(cache, hostKey, peaks);
  } catch (const InputError&) {  // nowhere to keep them: measured again next time
  }
  return peaks;
}

// A step's (or category's) rates at `ms` per run: "GFLOP/s %peak GB/s %peak".
std::string rates(int64_t macs, int64_t bytes, double ms, const HostPeaks& peaks) {
  if (ms <= 0) return "";
  double gflops = 2.0 * double(macs) / ms / 1e6, gbps = double(bytes) / ms / 1e6;
  std::string flops =
      macs ? fmt::format("{:>8.1f} {:>5.0f}%", gflops, 100 * gflops / peaks.fmaGflops) : fmt::format("{:>15}", "");
  return fmt::format("{} {:>7.1f} {:>5.0f}%", flops, gbps, 100 * gbps / peaks.copyGbps);
}

// Milliseconds per run by category, largest first.
std::vector<CategoryTime> byCategory(const std::vector<codegen::StepProfile>& steps) {
  std::map<std::string, CategoryTime> sums;
  for (const codegen::StepProfile& step : steps) {
    CategoryTime& sum = sums[step.category];
    sum.category = step.category, sum.ms += step.ms, ++sum.steps, sum.macs += step.macs, sum.bytes += step.bytes;
  }
  std::vector<CategoryTime> result;
  for (auto& [name, sum] : sums) result.push_back(sum);
  std::sort(result.begin(), result.end(), [](const auto& a, const auto& b) { return a.ms > b.ms; });
  return result;
}

std::vector<codegen::StepProfile> profileRuns(codegen::JitEngine& engine, const runtime::TensorMap& inputs, int runs) {
  engine.setProfiling(true);
  for (int i = 0; i < runs; ++i) engine.run(inputs);
  std::vector<codegen::StepProfile> steps = engine.profile();
  engine.setProfiling(false);
  return steps;
}

// --trace: kTracedRuns more runs, their timeline written to `path`; returns the
// threads' busy share in them and each thread's part (run_trace.h).
struct TraceSummary {
  double busyShare = 0;
  std::vector<ThreadShare> threads;
};
TraceSummary writeTrace(codegen::JitEngine& engine, const runtime::TensorMap& inputs, const std::string& path) {
  engine.setTracing(true);
  for (int i = 0; i < kTracedRuns; ++i) engine.run(inputs);
  std::vector<codegen::TraceSpan> spans = engine.trace();
  engine.setTracing(false);
  ir::writeFileAtomically(path, traceEventJson(spans, engine.profile(), engine.threads()).dump());
  return {threadBusyShare(spans), threadShares(spans, engine.threads())};
}

// "thread 0 (the caller) ran 58% of the units, 612 us per run; thread 1 42%, 590 us, 1.62x the caller's time per
// unit in the steps both ran units"
std::string describeThreadShares(const std::vector<ThreadShare>& threads) {
  std::vector<std::string> parts;
  for (const ThreadShare& t : threads) {
    if (t.thread == 0) {
      parts.push_back(fmt::format("thread 0 (the caller) ran {:.0f}% of the units, {:.0f} us per run",
                                  100 * t.unitShare, t.busyUsPerRun));
      continue;
    }
    std::string pace =
        t.timePerUnitVsCaller
            ? fmt::format("{:.2f}x the caller's time per unit in the steps both ran units", *t.timePerUnitVsCaller)
            : "no step where both ran units";
    parts.push_back(fmt::format("thread {} {:.0f}%, {:.0f} us, {}", t.thread, 100 * t.unitShare, t.busyUsPerRun, pace));
  }
  return fmt::format("{}", fmt::join(parts, "; "));
}

nlohmann::json profileJson(const std::vector<codegen::StepProfile>& steps, const HostPeaks& peaks) {
  nlohmann::json categories = nlohmann::json::array(), list = nlohmann::json::array();
  for (const CategoryTime& c : byCategory(steps))
    categories.push_back(
        {{"category", c.category}, {"ms", c.ms}, {"steps", c.steps}, {"macs", c.macs}, {"bytes", c.bytes}});
  for (const codegen::StepProfile& step : steps)
    list.push_back({{"category", step.category},
                    {"label", step.label},
                    {"ms", step.ms},
                    {"units", step.units},
                    {"macs", step.macs},
                    {"bytes", step.bytes}});
  return {{"categories", categories},
          {"steps", list},
          {"host_peaks", {{"fma_gflops", peaks.fmaGflops}, {"copy_gbps", peaks.copyGbps}}}};
}

void printProfile(std::vector<codegen::StepProfile> steps, int top, const HostPeaks& peaks) {
  double total = 0;
  for (const codegen::StepProfile& step : steps) total += step.ms;
  fmt::print(
      "\nhost peaks at this thread count: FMA {:.0f} GFLOP/s, copy {:.1f} GB/s (read + written, from memory; "
      "measured once per host and kept in the tuning cache where it can be written); a step above 100% of the "
      "copy rate found its data in cache\n",
      peaks.fmaGflops, peaks.copyGbps);
  std::string rateHeader = fmt::format("{:>8} {:>6} {:>7} {:>6}", "GFLOP/s", "FMA", "GB/s", "copy");
  fmt::print("\n{:<28} {:>10} {:>7} {:>6} {}\n", "time by category", "ms/run", "share", "steps", rateHeader);
  for (const CategoryTime& c : byCategory(steps))
    fmt::print("{:<28} {:>10.3f} {:>6.1f}% {:>6} {}\n", c.category, c.ms, 100 * c.ms / total, c.steps,
               rates(c.macs, c.bytes, c.ms, peaks));
  std::stable_sort(steps.begin(), steps.end(), [](const auto& a, const auto& b) { return a.ms > b.ms; });
  fmt::print("\n{:<28} {:<44} {:>10} {:>7} {:>6} {}\n", fmt::format("top {} steps", top), "node / value", "ms/run",
             "share", "units", rateHeader);
  for (size_t i = 0; i < steps.size() && int(i) < top; ++i)
    fmt::print("{:<28} {:<44} {:>10.3f} {:>6.1f}% {:>6} {}\n", steps[i].category, steps[i].label, steps[i].ms,
               100 * steps[i].ms / total, steps[i].units, rates(steps[i].macs, steps[i].bytes, steps[i].ms, peaks));
}

// The benchmark `o` describes in `o.processes` fresh processes (fresh_processes.h).
void benchFreshProcesses(const BenchOptions& o) {
  std::vector<std::string> args = {"bench",     o.model,
                                   "--threads", std::to_string(o.threads),
                                   "--runs",    std::to_string(o.runs),
                                   "--warmup",  std::to_string(o.warmup),
                                   "--idle-ms", fmt::format("{:g}", o.idleMs),
                                   "--json"};
  if (!o.cpu.empty()) args.insert(args.end(), {"--cpu", o.cpu});
  if (o.keepDenormals) args.push_back("--keep-denormals");
  if (o.fixedThreads) args.push_back("--fixed-threads");
  args.insert(args.end(), {"--winograd", o.winograd.mode});
  if (o.ringFusion == codegen::RingFusionUse::Never) args.push_back("--no-ring-fusion");
  if (!o.kernelCache) args.push_back("--no-kernel-cache");
  for (const std::string& shape : o.shapes) args.insert(args.end(), {"--input-shape", shape});
  std::vector<nlohmann::json> results = freshProcessResults(args, o.processes);
  std::vector<double> medians, oneThread, roundTrips;
  for (const nlohmann::json& result : results) {
    medians.push_back(result["median_ms"].get<double>());
    oneThread.push_back(result.value("one_thread_share", 0.0));
    if (result.contains("core_round_trip_ns")) roundTrips.push_back(result["core_round_trip_ns"][0].get<double>());
  }
  if (o.json) {
    auto [fastest, slowest] = std::minmax_element(medians.begin(), medians.end());
    std::cout << nlohmann::json{{"process_medians_ms", medians},
                                {"median_ms", runtime::medianOf(medians)},
                                {"slowest_over_fastest", *slowest / *fastest},
                                {"process_one_thread_shares", oneThread},
                                {"process_core_round_trips_ns", roundTrips},
                                {"runs", o.runs},
                                {"threads", o.threads}}
                     .dump()
              << "\n";
  } else {
    fmt::print("{}: {} runs per process, {} thread(s): {}\n", o.model, o.runs, o.threads, describeSpread(medians));
    if (!roundTrips.empty())
      fmt::print(
          "cores' round trip before the runs, per process: {}\n",
          fmt::join(std::views::transform(roundTrips, [](double ns) { return fmt::format("{:.0f} ns", ns); }), " "));
    if (std::any_of(oneThread.begin(), oneThread.end(), [](double share) { return share > 0; }))
      fmt::print(
          "runs on 1 thread, per process: {}\n",
          fmt::join(std::views::transform(oneThread, [](double s) { return fmt::format("{:.0f}%", 100 * s); }), " "));
  }
}

void bench(const BenchOptions& o) {
  if (o.runs < 1 || o.warmup < 0 || o.threads < 0 || o.processes < 0 || !(o.idleMs >= 0))
    throwInputError("--runs must be >= 1, --warmup, --threads, --processes and --idle-ms >= 0");
  if (o.processes > 0 && (o.profile || o.roofline || !o.trace.empty()))
    throwInputError("--profile, --roofline and --trace do not go with --processes (measure one process)");
  if (!o.trace.empty()) {  // before the runs, not after them
    ir::checkWritable(o.trace);
    ir::checkNotInput(o.trace, {o.model});
  }
  ir::Model model = ir::loadModel(o.model);
  ir::verifyGraph(*model.graph);
  auto shapes = ir::fixInputShapes(model, o.shapes);
  codegen::EngineOptions options{
      .cpu = o.cpu, .threads = o.threads, .flushDenormals = !o.keepDenormals, .adaptThreads = !o.fixedThreads};
  options.ringFusion = o.ringFusion;
  options.kernelCache = o.kernelCache;
  // Tuned once here; fresh processes read the measurement from the cache.
  applyWinogradChoice(o.winograd, model, shapes, options);
  if (o.processes > 0) return benchFreshProcesses(o);
  runtime::TensorMap inputs = runtime::randomInputs(*model.graph, {0, shapes, {}});
  codegen::JitEngine engine(model, shapes, options);
  // Where the threads' cores stand to each other before and after (core_round_trip.h); the
  // warm-up runs come after the first probe, which leaves the pool's workers asleep.
  std::vector<double> roundTrips;
  if (engine.threads() > 1) roundTrips.push_back(runtime::measureCoreRoundTripNs());
  for (int i = 0; i < o.warmup; ++i) engine.run(inputs);
  std::vector<double> ms;
  for (int i = 0; i < o.runs; ++i) {
    if (o.idleMs > 0) std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(o.idleMs));
    auto start = std::chrono::steady_clock::now();
    engine.run(inputs);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  if (engine.threads() > 1) roundTrips.push_back(runtime::measureCoreRoundTripNs());
  std::sort(ms.begin(), ms.end());
  auto quantile = [&](double q) { return ms[std::min(ms.size() - 1, size_t(q * double(ms.size() - 1) + 0.5))]; };
  double median = runtime::medianOf(ms);
  double oneThread = oneThreadShare(engine.threadRuns());
  int64_t macs = 0;
  for (const codegen::StepProfile& step : engine.profile()) macs += step.macs;
  std::optional<TraceSummary> traced;  // after the timed runs' figures: traced runs are extra
  if (!o.trace.empty()) traced = writeTrace(engine, inputs, o.trace);
  HostPeaks peaks = o.roofline || o.profile ? hostPeaks(o.cpu, engine.threads()) : HostPeaks{};
  // Achieved FLOP rate over the FMA peak: how close the model runs to its compute roofline.
  double roofline = peaks.fmaGflops > 0 ? 2.0 * double(macs) / median / 1e6 / peaks.fmaGflops : 0.0;
  if (o.json) {
    nlohmann::json result = {{"median_ms", median}, {"min_ms", ms.front()},        {"p90_ms", quantile(0.9)},
                             {"runs", o.runs},      {"threads", engine.threads()}, {"one_thread_share", oneThread},
                             {"macs", macs},        {"idle_ms", o.idleMs}};
    if (o.roofline) result["fma_peak_gflops"] = peaks.fmaGflops, result["fma_roofline"] = roofline;
    if (!roundTrips.empty()) result["core_round_trip_ns"] = roundTrips, result["worker_cpus"] = engine.workerCpus();
    if (traced) {
      result["trace_busy_share"] = traced->busyShare;
      for (const ThreadShare& t : traced->threads)
        result["trace_threads"].push_back(
            {{"thread", t.thread},
             {"unit_share", t.unitShare},
             {"busy_us_per_run", t.busyUsPerRun},
             {"time_per_unit_vs_caller", t.timePerUnitVsCaller ? nlohmann::json(*t.timePerUnitVsCaller) : nullptr}});
    }
    if (o.profile) result["profile"] = profileJson(profileRuns(engine, inputs, o.runs), peaks);
    std::cout << result.dump() << "\n";
  } else {
    fmt::print("{}: {} runs{}, {} thread(s): min {:.3f} ms, median {:.3f} ms, p90 {:.3f} ms\n", o.model, o.runs,
               o.idleMs > 0 ? fmt::format(" each after {:g} ms idle", o.idleMs) : "", engine.threads(), ms.front(),
               median, quantile(0.9));
    if (oneThread > 0)
      fmt::print(
          "{:.0f}% of the runs used 1 thread: the engine times both and runs the faster "
          "(--fixed-threads always uses {})\n",
          100 * oneThread, engine.threads());
    if (!roundTrips.empty()) {
      fmt::print("cores' round trip (runtime/core_round_trip.h): {:.0f} ns before the runs, {:.0f} ns after\n",
                 roundTrips.front(), roundTrips.back());
      std::vector<int> cpus = engine.workerCpus();
      fmt::print("worker threads: {} (runtime/thread_placement.h; CONVOPT_PIN_THREADS=0 leaves them to the kernel)\n",
                 cpus.empty() ? "placed by the kernel" : fmt::format("pinned to CPU {}", fmt::join(cpus, ", ")));
    }
    if (o.roofline)
      fmt::print("{:.1f} M multiply-adds per run: {:.1f} GFLOP/s, {:.0f}% of this host's FMA peak ({:.0f} GFLOP/s)\n",
                 double(macs) / 1e6, 2.0 * double(macs) / median / 1e6, 100 * roofline, peaks.fmaGflops);
    if (traced) {
      fmt::print(
          "trace of {} more runs written to {} (open it in chrome://tracing or https://ui.perfetto.dev): the "
          "threads each run used were busy {:.0f}% of its steps' time\n",
          kTracedRuns, o.trace, 100 * traced->busyShare);
      if (traced->threads.size() > 1 && traced->threads[0].busyUsPerRun > 0)
        fmt::print("steps shared out to the threads: {}\n", describeThreadShares(traced->threads));
    }
    if (o.profile) printProfile(profileRuns(engine, inputs, o.runs), o.top, peaks);
  }
}

}  // namespace

void registerBenchCommand(CLI::App& app) {
  auto o = std::make_shared<BenchOptions>();
  CLI::App* cmd = app.add_subcommand("bench", "Time whole inferences of a model with the JIT engine");
  cmd->add_option("model", o->model, "ONNX model file")->required();
  cmd->add_option("--threads", o->threads, "Threads (0: all cores)")->capture_default_str();
  cmd->add_option("--runs", o->runs, "Timed runs")->capture_default_str();
  cmd->add_option("--warmup", o->warmup, "Untimed runs first")->capture_default_str();
  cmd->add_option("--idle-ms", o->idleMs,
                  "Sleep this long before each timed run, as between a deployment's requests: the latency after idle "
                  "(caches cooled, the other threads asleep) instead of back to back")
      ->capture_default_str();
  cmd->add_flag(
      "--json", o->json,
      "Print {median_ms, min_ms, p90_ms, runs, threads, one_thread_share, macs, idle_ms[, core_round_trip_ns: "
      "[before, after], worker_cpus: [the CPU each worker is pinned to] with more than one thread][, fma_peak_gflops, "
      "fma_roofline][, trace_busy_share, trace_threads: [{thread, unit_share, busy_us_per_run, "
      "time_per_unit_vs_caller}]]"
      "[, profile]}");
  cmd->add_flag("--profile", o->profile,
                "Then time every step over --runs more runs: ms per kernel family and per step");
  cmd->add_option("--top", o->top, "Steps listed by --profile")->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd->add_option("--cpu", o->cpu, "Target CPU: host (default), x86-64-v3 (AVX2), x86-64-v4 (AVX-512), ...");
  cmd->add_flag("--keep-denormals", o->keepDenormals,
                "Keep IEEE denormal floats in generated kernels (default: flushed to zero, as FMAs on them are slow)");
  repeatable(cmd->add_option("--input-shape,--shape", o->shapes,
                             "NAME=1x3x224x224: dims of an input with dynamic dims (repeatable)"));
  cmd->add_option("--processes", o->processes,
                  "Run the benchmark in N fresh processes, one after another, and report the spread of their "
                  "medians (where a process's threads land is settled at its start)");
  cmd->add_flag("--roofline", o->roofline,
                "Also say how close the model's convolutions and matrix products run to this host's FMA peak "
                "(measured the first time, about 0.2 s, then kept in the tuning cache)");
  cmd->add_flag("--fixed-threads", o->fixedThreads,
                "Always run on --threads threads; by default the engine times runs on one thread against runs on "
                "all and uses the faster (where cores are far apart, small models run slower on two)");
  cmd->add_option("--trace", o->trace,
                  fmt::format("Then write a timeline of {} more runs to this file, in the Chrome trace event format "
                              "(chrome://tracing, https://ui.perfetto.dev): each step, and which thread ran which of "
                              "its work units when (the runs keep the engine's thread choice; --fixed-threads: all); "
                              "prints each thread's share of the shared-out steps' units and its time per unit over "
                              "the caller's",
                              kTracedRuns));
  addWinogradOptions(cmd, o->winograd);
  addRingFusionOption(cmd, o->ringFusion);
  addKernelCacheOption(cmd, o->kernelCache);
  cmd->callback([o] { bench(*o); });
}

}  // namespace convopt::tools
