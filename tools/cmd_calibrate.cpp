// convopt calibrate [--for convopt|onnxruntime] -o FILE: measures the cost
// table (passes/cost_table.h) of a runtime on this machine — every probe of
// tools/calibrate/probe_models.h, timed on that runtime — and writes it for
// `optimize --cost-table FILE`. Prints one row per probe as it goes.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>

#include "codegen/engine/target.h"
#include "ir/atomic_file.h"
#include "ir/onnx_io.h"
#include "passes/cost_table.h"
#include "tools/calibrate/cost_table_fit.h"
#include "tools/calibrate/host_cost_model.h"
#include "tools/calibrate/model_timing.h"
#include "tools/commands.h"

namespace convopt::tools {
namespace {

struct CalibrateOptions {
  std::string runtime = "convopt";
  std::string output;
  std::string saveProbes;
  calibrate::TimingOptions timing;
};

// "AMD EPYC (znver5, 16 fp32 lanes)": the CPU a table was measured on.
std::string hostName() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line, model = "unknown CPU";
  while (std::getline(cpuinfo, line))
    if (line.rfind("model name", 0) == 0) {
      model = line.substr(line.find(':') + 2);
      break;
    }
  codegen::Target target = codegen::selectTarget();
  return fmt::format("{} ({}, {} fp32 lanes)", model, target.cpu, target.vectorWidth);
}

std::string today() {
  std::time_t now = std::time(nullptr);
  char date[16];
  std::strftime(date, sizeof date, "%Y-%m-%d", std::gmtime(&now));
  return date;
}

// Every probe's pair timed in one go (one node process for onnxruntime).
std::vector<calibrate::ProbeTiming> timeProbes(const CalibrateOptions& o, const std::vector<calibrate::Probe>& probes) {
  std::vector<std::pair<ir::Model, ir::Model>> pairs;
  std::vector<calibrate::TimedModel> models;
  for (const calibrate::Probe& probe : probes) pairs.push_back(calibrate::probeModels(probe));
  for (size_t i = 0; i < probes.size(); ++i) {
    models.push_back({probes[i].name + ".without", &pairs[i].first});
    models.push_back({probes[i].name + ".with", &pairs[i].second});
  }
  if (!o.saveProbes.empty()) {
    std::filesystem::create_directories(o.saveProbes);
    for (const calibrate::TimedModel& m : models)
      ir::saveModel(*m.model, (std::filesystem::path(o.saveProbes) / (m.name + ".onnx")).string());
  }
  std::map<std::string, double> ms = calibrate::timeOn(o.runtime, models, o.timing);
  std::vector<calibrate::ProbeTiming> timings;
  for (const calibrate::Probe& probe : probes)
    timings.push_back({probe, ms.at(probe.name + ".without"), ms.at(probe.name + ".with")});
  return timings;
}

void calibrateRuntime(const CalibrateOptions& o) {
  auto start = std::chrono::steady_clock::now();
  std::vector<calibrate::Probe> probes = calibrate::probeTable();
  // convopt has depthwise kernels for some depth multipliers only: probe the
  // fallback with the smallest other one.
  std::vector<int64_t> native = o.runtime == "convopt" ? calibrate::hostDepthMultipliers() : std::vector<int64_t>();
  if (!native.empty()) {
    int64_t m = 1;
    while (std::binary_search(native.begin(), native.end(), m)) ++m;
    probes.push_back(calibrate::depthwiseMultiplierProbe(16, m));
  }
  fmt::print("calibrating {} at {} thread(s): {} probes, 2 models each, {} runs per model...\n", o.runtime,
             o.timing.threads, probes.size(), o.timing.runs);
  std::fflush(stdout);
  std::vector<calibrate::ProbeTiming> timings = timeProbes(o, probes);
  fmt::print("{:<26} {:>10} {:>12} {:>10}\n", "probe", "us per op", "MMACs", "GMAC/s");
  for (const calibrate::ProbeTiming& t : timings) {
    double macs = t.probe.op == calibrate::ProbeOp::Conv ? double(t.probe.geometry().macs()) : 0;
    fmt::print("{:<26} {:>10.2f} {:>12.2f} {:>10.2f}\n", t.probe.name, t.opSeconds() * 1e6, macs / 1e6,
               macs / t.opSeconds() / 1e9);
  }
  passes::CostTable table =
      calibrate::fitCostTable(timings, {o.runtime, hostName(), today(), o.timing.threads, native});
  ir::writeFileAtomically(o.output, passes::costTableJson(table));
  fmt::print("wrote {} ({:.0f} s): node {:.2f} us, stream {:.1f} GB/s, gather {:.1f} GB/s, split/concat {:.1f} GB/s\n",
             o.output, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
             table.nodeSeconds * 1e6, table.streamBytesPerSecond / 1e9, table.gatherBytesPerSecond / 1e9,
             table.splitConcatBytesPerSecond / 1e9);
}

}  // namespace

void registerCalibrateCommand(CLI::App& app) {
  auto o = std::make_shared<CalibrateOptions>();
  CLI::App* cmd = app.add_subcommand(
      "calibrate", "Measure what convolutions cost on a runtime on this machine: a cost table for optimize");
  cmd->add_option("--for", o->runtime, "The runtime to measure: convopt (default) or onnxruntime (needs node)")
      ->check(CLI::IsMember(passes::builtinRuntimes()));
  cmd->add_option("-o,--output", o->output, "Where to write the table (JSON, atomically)")->required();
  cmd->add_option("--threads", o->timing.threads, "Threads the runtime uses (default 1)")->check(CLI::Range(1, 1024));
  cmd->add_option(
         "--runs", o->timing.runs,
         "Timed runs per probe model (default 40): convopt takes the median, onnxruntime the mean of the middle half")
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--save-probes", o->saveProbes,
                  "Also write every probe's pair of models to this folder (NAME.without.onnx, NAME.with.onnx)");
  cmd->add_option("--ort-script", o->timing.ortScript,
                  "onnxruntime: the timing script (default: this source tree's scripts/bench/ort_bench.js)");
  cmd->add_option("--node-modules", o->timing.nodeModules,
                  "onnxruntime: the folder holding onnxruntime-node (default: this source tree's third_party_npm)");
  cmd->callback([o] { calibrateRuntime(*o); });
}

}  // namespace convopt::tools
