// `convopt bench` end to end: the timing summary and the per-step profile.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <filesystem>
#include <map>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tests/support/cli_helpers.h"
#include "tests/support/ir_temp_dir.h"

namespace convopt {
namespace {

using testing::runConvopt;

// A generated conv + fused Relu, then a Softsign that falls back (with reorders
// around it), on side x side images: 4 gives one work unit per step, 32 the
// conv units enough for the pool to share out.
std::string convThenSoftsign(int side) {
  return fmt::format(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,2,{0},{0}] x) => (float[1,2,{0},{0}] y)
<float[2,2,1,1] w = {{1.0, 2.0, 3.0, 4.0}}>
{{
  c = Conv (x, w)
  r = Relu (c)
  y = Softsign (r)
}}
)",
                     side);
}

struct Bench : ::testing::Test {
  testing::TempDir dir;
  std::string model(int side = 4) {
    testing::writeFile(dir / "m.onnx", testing::textModelBytes(convThenSoftsign(side)));
    return (dir / "m.onnx").string();
  }
};

// run and bench keep the kernels they compile beside the tuning cache and load
// them in the next process; --no-kernel-cache neither reads nor writes them.
TEST_F(Bench, KernelsAreKeptForTheNextProcessUnlessTold) {
  std::filesystem::path cache = dir / "cache", kernels = cache / "kernels";
  auto convopt = [&](const std::string& args) {
    auto r = testing::runCommand(
        fmt::format("CONVOPT_CACHE_DIR='{}' '{}' {} '{}' --threads 1", cache.string(), CONVOPT_BINARY, args, model()),
        dir.path());
    EXPECT_EQ(r.exitCode, 0) << args << "\n" << r.stderrText;
    return r.stdoutText;
  };
  auto entries = [&] {
    std::set<std::filesystem::path> found;
    if (std::filesystem::exists(kernels))
      for (const auto& entry : std::filesystem::directory_iterator(kernels)) found.insert(entry.path());
    return found;
  };
  EXPECT_THAT(convopt("run --no-kernel-cache --explain"),
              ::testing::HasSubstr("kernels: compiled; not kept: the kernel cache is off (--no-kernel-cache"));
  convopt("bench --runs 2 --no-kernel-cache");
  EXPECT_TRUE(entries().empty());
  std::string compiled = convopt("run --explain");
  if (entries().empty()) GTEST_SKIP() << "no GNU build ids: no kernels kept";
  EXPECT_THAT(compiled, ::testing::HasSubstr("kernels: compiled, kept in the kernel cache (" + kernels.string() + ")"));
  convopt("bench --runs 2");  // the same kernels
  EXPECT_EQ(entries().size(), 1u);
  EXPECT_THAT(convopt("run --explain"),
              ::testing::HasSubstr("kernels: loaded from the kernel cache (" + kernels.string() + ")"));
}

// --tune times the 3x3 conv three ways, prints the table and keeps the choice
// in the cache under this host and thread count; later runs read it from there.
TEST_F(Bench, TuneMeasuresEach3x3LayerAndKeepsTheChoice) {
  testing::writeFile(dir / "c.onnx", testing::conv3x3ModelBytes());
  const std::string layer = "n1_conv3x3_s1_d1_g1_c16x10x10_o16_p1_1_1_1";
  std::filesystem::path cache = dir / "cache";
  auto convopt = [&](const std::string& args) {
    return testing::runCommand(fmt::format("CONVOPT_CACHE_DIR='{}' '{}' {} '{}' --threads 1", cache.string(),
                                           CONVOPT_BINARY, args, (dir / "c.onnx").string()),
                               dir.path());
  };
  auto r = convopt("bench --runs 2 --tune --tune-seconds 0.1");
  ASSERT_EQ(r.exitCode, 0) << r.stderrText;
  EXPECT_NE(r.stderrText.find("3x3 conv layer"), std::string::npos) << r.stderrText;
  EXPECT_NE(r.stderrText.find(layer), std::string::npos) << r.stderrText;
  auto json = nlohmann::json::parse(testing::readFile(cache / "tuning.json"));
  ASSERT_EQ(json["hosts"].size(), 1u);
  std::string host = json["hosts"].begin().key();
  EXPECT_TRUE(host.ends_with(" for host, 1 thread(s)")) << host;
  int tile = json["hosts"][host]["winograd"][layer];
  EXPECT_TRUE(tile == 0 || tile == 2 || tile == 4) << tile;

  // A later run uses what the cache says (here: F(4x4), whatever was measured).
  json["hosts"][host]["winograd"][layer] = 4;
  testing::writeFile(cache / "tuning.json", json.dump());
  r = convopt("run --explain");
  ASSERT_EQ(r.exitCode, 0) << r.stderrText;
  EXPECT_NE(r.stdoutText.find("winograd F(4x4,3x3) input transform"), std::string::npos) << r.stdoutText;
  json["hosts"][host]["winograd"][layer] = 0;
  testing::writeFile(cache / "tuning.json", json.dump());
  r = convopt("run --explain");
  EXPECT_NE(r.stdoutText.find("(winograd: measured slower than direct convolution (--tune on this host, else the table "
                              "of its CPU family))"),
            std::string::npos)
      << r.stdoutText;

  // Without the Winograd domain, --tune measures the direct convs' variants only.
  r = convopt("bench --runs 1 --tune --tune-seconds 0.1 --winograd off");
  EXPECT_EQ(r.exitCode, 0) << r.stderrText;
  EXPECT_EQ(r.stderrText.find("3x3 conv layer"), std::string::npos) << r.stderrText;
  r = convopt("run --tune --engine reference");
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.stderrText.find("--tune, --explain and --print-after-all are about the JIT engine"), std::string::npos)
      << r.stderrText;
  // A cache folder that cannot be written: an error naming it, before anything is timed.
  testing::writeFile(dir / "file", "");
  cache = dir / "file" / "cache";
  r = convopt("bench --runs 1 --tune --tune-seconds 0.1");
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.stderrText.find((dir / "file").string()), std::string::npos) << r.stderrText;
}

// --tune then times the direct convs' kernel variants (here the unit order of a
// 1x1 conv of several tiles and rows) and keeps a choice per layer; a later run
// takes a variant the cache holds and --explain names it.
TEST_F(Bench, TuneMeasuresTheDirectConvVariantsAndKeepsTheChoice) {
  testing::writeFile(dir / "p.onnx", testing::textModelBytes(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,32,20,20] x) => (float[1,128,20,20] y)
<float[128,32,1,1] w = {)" + fmt::format("{}", fmt::join(std::vector<float>(4096, 0.01f), ", ")) +
                                                             R"(}>
{
  y = Conv (x, w)
}
)"));
  const std::string layer = "n1_conv1x1_s1_d1_g1_c32x20x20_o128_p0_0_0_0";
  std::filesystem::path cache = dir / "cache";
  auto convopt = [&](const std::string& args) {
    return testing::runCommand(fmt::format("CONVOPT_CACHE_DIR='{}' '{}' {} '{}' --threads 1", cache.string(),
                                           CONVOPT_BINARY, args, (dir / "p.onnx").string()),
                               dir.path());
  };
  auto r = convopt("bench --runs 2 --tune --tune-seconds 0.1");
  ASSERT_EQ(r.exitCode, 0) << r.stderrText;
  EXPECT_NE(r.stderrText.find("no 3x3 conv of the main graph"), std::string::npos) << r.stderrText;
  EXPECT_NE(r.stderrText.find("direct conv layer"), std::string::npos) << r.stderrText;
  auto json = nlohmann::json::parse(testing::readFile(cache / "tuning.json"));
  std::string host = json["hosts"].begin().key();
  std::string variant = json["hosts"][host]["variants"][layer];
  EXPECT_TRUE(variant == "heuristic" || variant == "one-sweep" || variant == "no-unroll" || variant == "other-order")
      << variant;
  json["hosts"][host]["variants"][layer] = "other-order";
  testing::writeFile(cache / "tuning.json", json.dump());
  r = convopt("run --explain");
  ASSERT_EQ(r.exitCode, 0) << r.stderrText;
  EXPECT_NE(r.stdoutText.find("other-order (measured)"), std::string::npos) << r.stdoutText;
}

TEST_F(Bench, JsonHasTheLatencySummary) {
  auto r = runConvopt(fmt::format("bench '{}' --runs 3 --threads 1 --json", model()), dir.path());
  ASSERT_EQ(r.exitCode, 0) << r.stderrText;
  auto json = nlohmann::json::parse(r.stdoutText);
  EXPECT_EQ(json["runs"], 3);
  EXPECT_EQ(json["threads"], 1);
  EXPECT_EQ(json["idle_ms"], 0.0);
  EXPECT_LE(json["min_ms"].get<double>(), json["median_ms"].get<double>());
  EXPECT_LE(json["median_ms"].get<double>(), json["p90_ms"].get<double>());
  EXPECT_FALSE(json.contains("profile"));
  EXPECT_FALSE(json.contains("core_round_trip_ns"));  // one thread: no second core to reach
}

// With more threads, how far apart the cores were before and after the runs (runtime/core_round_trip.h).
TEST_F(Bench, MoreThreadsSayHowFarApartTheCoresWere) {
  auto r = runConvopt(fmt::format("bench '{}' --runs 3 --threads 2 --json", model()), dir.path());
  ASSERT_EQ(r.exitCode, 0) << r.stderrText;
  auto trips = nlohmann::json::parse(r.stdoutText)["core_round_trip_ns"].get<std::vector<double>>();
  ASSERT_EQ(trips.size(), 2u);
  for (double ns : trips) EXPECT_GT(ns, 0);
  r = runConvopt(fmt::format("bench '{}' --runs 3 --threads 2", model()), dir.path());
  EXPECT_NE(r.stdoutText.find("cores' round trip"), std::string::npos) << r.stdoutText;
}

TEST_F(Bench, FreshProcessesReportEachMedianAndTheSpread) {
  auto r =
      runConvopt(fmt::format("bench '{}' --runs 2 --warmup 0 --threads 2 --processes 3 --json", model()), dir.path());
  ASSERT_EQ(r.exitCode, 0) << r.stderrText;
  auto json = nlohmann::json::parse(r.stdoutText);
  auto medians = json["process_medians_ms"].get<std::vector<double>>();
  ASSERT_EQ(medians.size(), 3u);
  double fastest = *std::min_element(medians.begin(), medians.end());
  double slowest = *std::max_element(medians.begin(), medians.end());
  EXPECT_DOUBLE_EQ(json["slowest_over_fastest"].get<double>(), slowest / fastest);
  EXPECT_GE(json["median_ms"].get<double>(), fastest);
  EXPECT_LE(json["median_ms"].get<double>(), slowest);
  EXPECT_EQ(json["threads"], 2);
  EXPECT_EQ(json["process_one_thread_shares"].size(), 3u);
  EXPECT_EQ(json["process_core_round_trips_ns"].size(), 3u);
  EXPECT_NE(r.stderrText.find("process 3/3"), std::string::npos) << r.stderrText;
}

// At 2 threads the engine times runs on one thread too (runtime/thread_choice.h):
// after 2 warm-up runs it alternates, so 3 of the first 8 runs use one thread.
// --fixed-threads never does.
TEST_F(Bench, SaysHowManyRunsUsedOneThread) {
  std::string command = fmt::format("bench '{}' --runs 6 --warmup 2 --threads 2", model());
  auto adaptive = runConvopt(command + " --json", dir.path());
  ASSERT_EQ(adaptive.exitCode, 0) << adaptive.stderrText;
  EXPECT_DOUBLE_EQ(nlohmann::json::parse(adaptive.stdoutText)["one_thread_share"].get<double>(), 3.0 / 8);
  auto text = runConvopt(command, dir.path());
  EXPECT_NE(text.stdoutText.find("38% of the runs used 1 thread"), std::string::npos) << text.stdoutText;
  auto fixed = runConvopt(command + " --json --fixed-threads", dir.path());
  ASSERT_EQ(fixed.exitCode, 0) << fixed.stderrText;
  EXPECT_EQ(nlohmann::json::parse(fixed.stdoutText)["one_thread_share"].get<double>(), 0.0);
}

TEST_F(Bench, ProcessesRefuseProfileAndNegativeCounts) {
  auto profiled = runConvopt(fmt::format("bench '{}' --processes 2 --profile", model()), dir.path());
  EXPECT_EQ(profiled.exitCode, 2);
  EXPECT_NE(profiled.stderrText.find("--profile, --roofline and --trace do not go with --processes"), std::string::npos)
      << profiled.stderrText;
  auto negative = runConvopt(fmt::format("bench '{}' --processes -1", model()), dir.path());
  EXPECT_EQ(negative.exitCode, 2);
  EXPECT_NE(negative.stderrText.find("--processes and --idle-ms >= 0"), std::string::npos) << negative.stderrText;
}

// --idle-ms sleeps before each timed run (latency after idle, as between
// requests): 5 runs after 40 ms each take at least 0.2 s; a negative pause is refused.
TEST_F(Bench, IdleMsSleepsBeforeEachTimedRun) {
  auto start = std::chrono::steady_clock::now();
  auto r = runConvopt(fmt::format("bench '{}' --runs 5 --warmup 0 --threads 1 --idle-ms 40", model()), dir.path());
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(r.exitCode, 0) << r.stderrText;
  EXPECT_GE(seconds, 0.2);
  EXPECT_NE(r.stdoutText.find("5 runs each after 40 ms idle, 1 thread(s)"), std::string::npos) << r.stdoutText;
  auto negative = runConvopt(fmt::format("bench '{}' --idle-ms -1", model()), dir.path());
  EXPECT_EQ(negative.exitCode, 2);
  EXPECT_NE(negative.stderrText.find("--idle-ms >= 0"), std::string::npos) << negative.stderrText;
}

// --trace writes the Chrome trace event file of five more runs: a track of
// steps (in order, in microseconds) and one per thread, every event named by
// its step; --json gives the threads' busy share and each thread's share of
// the units, busy time per run and time per unit over the caller's (in the
// steps both ran), which the file's times reproduce. A file that cannot be
// written: exit 2, nothing left.
TEST_F(Bench, TraceWritesEachStepAndThreadsChunksAsTraceEvents) {
  std::filesystem::path trace = dir / "trace.json";
  auto r = runConvopt(
      fmt::format("bench '{}' --runs 2 --threads 2 --fixed-threads --json --trace '{}'", model(32), trace.string()),
      dir.path());
  ASSERT_EQ(r.exitCode, 0) << r.stderrText;
  auto result = nlohmann::json::parse(r.stdoutText);
  double busy = result["trace_busy_share"], medianUs = 1000 * result["median_ms"].get<double>();
  auto events = nlohmann::json::parse(testing::readFile(trace))["traceEvents"];
  std::map<int, std::string> tracks;
  std::map<int, int> perTrack;
  std::map<int, double> stepUsPerRun;
  std::set<int> runs;
  double threadUs = 0, chunkUs = 0, lastStepStart = -1;
  // The steps the pool shared out (more than one unit; each step's event comes before its chunks'):
  // each thread's units and time in them, and per step.
  std::set<std::pair<int, int>> shared;
  std::array<double, 2> units{}, us{};
  std::map<std::pair<int, int>, std::array<std::array<double, 2>, 2>> perStep;  // (run, step) -> thread -> units, us
  for (const auto& event : events) {
    if (event["ph"] == "M") {
      tracks[event["tid"].get<int>()] = event["args"]["name"];
      continue;
    }
    ASSERT_EQ(event["ph"], "X");
    double dur = event["dur"];
    EXPECT_GE(dur, 0.0);
    EXPECT_FALSE(event["name"].get<std::string>().empty());
    int tid = event["tid"], run = event["args"]["run"];
    ++perTrack[tid];
    runs.insert(run);
    if (tid == 0) {
      EXPECT_EQ(event["args"]["threads"], 2);
      EXPECT_GE(event["ts"].get<double>(), lastStepStart);
      lastStepStart = event["ts"];
      threadUs += 2 * dur, stepUsPerRun[run] += dur;
      if (event["args"]["units"].get<int64_t>() > 1) shared.insert({run, event["args"]["step"].get<int>()});
    } else {
      EXPECT_LT(event["args"]["begin_unit"].get<int64_t>(), event["args"]["end_unit"].get<int64_t>());
      chunkUs += dur;
      std::pair<int, int> key{run, event["args"]["step"].get<int>()};
      if (!shared.count(key)) continue;
      double chunkUnits = double(event["args"]["end_unit"].get<int64_t>() - event["args"]["begin_unit"].get<int64_t>());
      units[size_t(tid - 1)] += chunkUnits, us[size_t(tid - 1)] += dur;
      perStep[key][size_t(tid - 1)][0] += chunkUnits, perStep[key][size_t(tid - 1)][1] += dur;
    }
  }
  EXPECT_NEAR(busy, chunkUs / threadUs, 1e-6);
  EXPECT_TRUE(busy > 0 && busy <= 1) << busy;
  double workerUs = 0, atCallersRate = 0;  // the worker's time in the steps both ran, and at the caller's rate
  for (const auto& [key, step] : perStep)
    if (step[0][0] > 0 && step[1][0] > 0) workerUs += step[1][1], atCallersRate += step[1][0] / step[0][0] * step[0][1];
  ASSERT_FALSE(shared.empty()) << "the conv's units are shared out";
  const auto& threads = result["trace_threads"];
  ASSERT_EQ(threads.size(), 2u) << result.dump();
  for (int t : {0, 1}) {
    EXPECT_EQ(threads[t]["thread"], t);
    EXPECT_NEAR(threads[t]["unit_share"].get<double>(), units[size_t(t)] / (units[0] + units[1]), 1e-6);
    EXPECT_NEAR(threads[t]["busy_us_per_run"].get<double>(), us[size_t(t)] / 5, 1e-3);
  }
  EXPECT_EQ(threads[0]["time_per_unit_vs_caller"], 1.0);
  if (atCallersRate > 0)  // else the worker ran no unit beside the caller (a loaded machine): null
    EXPECT_NEAR(threads[1]["time_per_unit_vs_caller"].get<double>(), workerUs / atCallersRate, 1e-6);
  else
    EXPECT_TRUE(threads[1]["time_per_unit_vs_caller"].is_null()) << result.dump();
  EXPECT_NE(testing::runConvopt(
                fmt::format("bench '{}' --runs 2 --threads 2 --fixed-threads --trace '{}'", model(32), trace.string()),
                dir.path())
                .stdoutText.find("steps shared out to the threads: thread 0 (the caller) ran "),
            std::string::npos);
  // Microseconds, as the format wants: the fastest traced run's steps took about a timed run's time.
  double fastestUs = std::min_element(stepUsPerRun.begin(), stepUsPerRun.end(), [](auto& a, auto& b) {
                       return a.second < b.second;
                     })->second;
  EXPECT_TRUE(fastestUs > medianUs / 30 && fastestUs < medianUs * 30) << fastestUs << " us, median " << medianUs;
  EXPECT_EQ(tracks, (std::map<int, std::string>{{0, "steps"}, {1, "thread 0 (the caller)"}, {2, "thread 1"}}));
  EXPECT_EQ(runs, (std::set<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(perTrack[0] % 5, 0) << "every step once per run";
  EXPECT_GE(perTrack[1] + perTrack[2], perTrack[0]) << "at least one chunk per step";

  auto refused = runConvopt(fmt::format("bench '{}' --runs 1 --trace '{}'", model(), (dir / "no" / "t.json").string()),
                            dir.path());
  EXPECT_EQ(refused.exitCode, 2);
  EXPECT_NE(refused.stderrText.find("cannot write"), std::string::npos) << refused.stderrText;
  EXPECT_FALSE(std::filesystem::exists(dir / "no"));
}

TEST_F(Bench, ProfileListsEveryStepByCategory) {
  auto r = runConvopt(fmt::format("bench '{}' --runs 2 --threads 1 --json --profile", model()), dir.path());
  ASSERT_EQ(r.exitCode, 0) << r.stderrText;
  auto profile = nlohmann::json::parse(r.stdoutText)["profile"];
  std::vector<std::string> steps;
  for (const auto& step : profile["steps"])
    steps.push_back(step["category"].get<std::string>() + " " + step["label"].get<std::string>());
  // Program order: the conv kernel (Relu fused; it reads the 2-channel x in place),
  // back to plain layout, the Softsign fallback.
  EXPECT_EQ(steps,
            (std::vector<std::string>{"pointwise Conv(c)", "reorder from blocked r", "fallback Softsign Softsign(y)"}));
  int counted = 0;
  for (const auto& category : profile["categories"]) {
    counted += category["steps"].get<int>();
    EXPECT_GE(category["ms"].get<double>(), 0.0);
  }
  EXPECT_EQ(counted, 3);
}

// --roofline: the model's multiply-adds against the host's measured FMA peak.
TEST_F(Bench, RooflineReadsTheModelsWorkAgainstTheFmaPeak) {
  auto r = runConvopt(fmt::format("bench '{}' --runs 2 --threads 1 --json --roofline", model()), dir.path());
  ASSERT_EQ(r.exitCode, 0) << r.stderrText;
  auto json = nlohmann::json::parse(r.stdoutText);
  EXPECT_EQ(json["macs"], 2 * 4 * 4 * 2);
  double gflops = 2.0 * 64 / json["median_ms"].get<double>() / 1e6;
  EXPECT_NEAR(json["fma_roofline"].get<double>(), gflops / json["fma_peak_gflops"].get<double>(), 1e-9);
  auto text = runConvopt(fmt::format("bench '{}' --runs 2 --threads 1 --roofline", model()), dir.path());
  EXPECT_NE(text.stdoutText.find("of this host's FMA peak"), std::string::npos) << text.stdoutText;
}

// Each step's multiply-adds and bytes, and the host's peaks they are read against.
TEST_F(Bench, ProfileHasWorkAndTheHostsPeaks) {
  auto r = runConvopt(fmt::format("bench '{}' --runs 2 --threads 1 --json --profile", model()), dir.path());
  ASSERT_EQ(r.exitCode, 0) << r.stderrText;
  auto profile = nlohmann::json::parse(r.stdoutText)["profile"];
  const auto& steps = profile["steps"];
  ASSERT_EQ(steps.size(), 3u);
  EXPECT_EQ(steps[0]["macs"], 2 * 4 * 4 * 2);  // output channels x pixels x input channels, 1x1 kernel
  EXPECT_EQ(steps[1]["macs"], 0);
  EXPECT_EQ(steps[2]["macs"], 0);
  // The conv reads x (2x4x4 floats) and the packed weights, writes its blocked output;
  // the reorder reads that and writes r in plain layout (2x4x4 floats).
  EXPECT_GT(steps[0]["bytes"].get<int64_t>(), 2 * 128);
  EXPECT_GT(steps[1]["bytes"].get<int64_t>(), 2 * 128 - 1);
  EXPECT_GT(profile["host_peaks"]["fma_gflops"].get<double>(), 0.0);
  EXPECT_GT(profile["host_peaks"]["copy_gbps"].get<double>(), 0.0);
}

// The peaks are measured the first time and kept in the tuning cache: a later
// bench reads them from there (here, values planted in the file).
TEST_F(Bench, HostPeaksAreMeasuredOnceThenReadFromTheCache) {
  std::filesystem::path cache = dir / "cache";
  auto bench = [&] {
    return testing::runCommand(
        fmt::format("CONVOPT_CACHE_DIR='{}' '{}' bench '{}' --runs 2 --threads 1 --json --roofline", cache.string(),
                    CONVOPT_BINARY, model()),
        dir.path());
  };
  auto first = bench();
  ASSERT_EQ(first.exitCode, 0) << first.stderrText;
  auto file = nlohmann::json::parse(testing::readFile(cache / "tuning.json"));
  ASSERT_EQ(file["hosts"].size(), 1u);
  nlohmann::json& peaks = file["hosts"].begin().value()["peaks"];
  EXPECT_EQ(peaks["fma_gflops"], nlohmann::json::parse(first.stdoutText)["fma_peak_gflops"]);
  peaks["fma_gflops"] = 1234.5;
  testing::writeFile(cache / "tuning.json", file.dump());
  auto second = bench();
  ASSERT_EQ(second.exitCode, 0) << second.stderrText;
  EXPECT_EQ(nlohmann::json::parse(second.stdoutText)["fma_peak_gflops"], 1234.5);
}

TEST_F(Bench, HumanProfileHasBothTables) {
  auto r = runConvopt(fmt::format("bench '{}' --runs 2 --profile --top 2", model()), dir.path());
  ASSERT_EQ(r.exitCode, 0) << r.stderrText;
  EXPECT_NE(r.stdoutText.find("time by category"), std::string::npos) << r.stdoutText;
  EXPECT_NE(r.stdoutText.find("top 2 steps"), std::string::npos) << r.stdoutText;
  EXPECT_NE(r.stdoutText.find("host peaks at this thread count: FMA"), std::string::npos) << r.stdoutText;
  EXPECT_NE(r.stdoutText.find("GFLOP/s"), std::string::npos) << r.stdoutText;
  EXPECT_NE(r.stdoutText.find("fallback Softsign"), std::string::npos) << r.stdoutText;
}

TEST_F(Bench, RejectsZeroRuns) {
  auto r = runConvopt(fmt::format("bench '{}' --runs 0", model()), dir.path());
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.stderrText.find("--runs"), std::string::npos) << r.stderrText;
}

}  // namespace
}  // namespace convopt
