// cost_model_check --for RUNTIME [--sweep] [MODELS_DIR] [--cost-table F] [--threads N] [--runs R]:
// the cost model against reality. For every model of MODELS_DIR (the shared
// models' layout, input shapes from its manifest.json) and, with --sweep, of
// the planted-structure sweep (bench/support/candidate_sweep.h), the default pipeline
// runs with --force, so every exact candidate rewrite applies; each rewrite is
// cut out before and after (passes/rewrite_regions.h), set between two
// depthwise 3x3 "anchor" convs (as in a network: a rewrite that makes the
// runtime leave its native layout pays for the reorders there, as
// tools/calibrate/probe_models.h measures it), both are timed on RUNTIME
// (tools/calibrate/model_timing.h) and printed as one JSON line beside the
// cost model's prediction for them:
//   {"model", "pass", "node", "predicted_before_us", "predicted_after_us",
//    "measured_before_us", "measured_after_us"}
// With --whole it times each model as given and as optimized for RUNTIME instead.
// scripts/bench/cost_model_check.sh runs it for both runtimes and summarises.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "bench/support/candidate_sweep.h"
#include "ir/error.h"
#include "ir/graph_building.h"
#include "ir/onnx_io.h"
#include "ir/shape_inference.h"
#include "passes/pass_manager.h"
#include "passes/pipeline.h"
#include "passes/rewrite_regions.h"
#include "tools/calibrate/model_timing.h"

namespace {

using namespace convopt;
namespace fs = std::filesystem;

struct Candidate {
  passes::RewriteRegion region;
  passes::RewriteRecord record;
};

// "Op(out)" labels of an unnamed node before and after a rewrite that changed its op.
bool sameNode(const std::string& a, const std::string& b) {
  auto tail = [](const std::string& s) { return s.find('(') == std::string::npos ? s : s.substr(s.find('(')); };
  return a == b || (a.back() == ')' && tail(a) == tail(b));
}

// A depthwise 3x3 conv over `value` (4-D float, static shape), zero padded.
ir::Value* anchorConv(ir::Graph& graph, ir::Value* value, const std::string& name) {
  int64_t channels = value->type.staticShape()[1];
  ir::Value* w = ir::addFloatInitializer(graph, graph.uniqueName(name + "_w"), {channels, 1, 3, 3},
                                         std::vector<float>(size_t(channels * 9), 1.f / 9));
  ir::Node* conv = ir::addSquareConv(graph, value, w, nullptr, graph.uniqueName(name), channels);
  conv->output(0)->type = value->type;
  return conv->output(0);
}

bool anchorable(const ir::Value* value) {
  return value->type.hasStaticShape() && value->type.staticShape().size() == 4 && value->type.dtype == ir::DType::Float;
}

// The region between anchors: x -> anchor -> region -> anchor -> y.
void anchor(ir::Model& region) {
  ir::Graph& graph = *region.graph;
  ir::Value* input = graph.inputs().at(0);
  ir::Value* fresh = graph.addInput(graph.uniqueName("anchored_input"), input->type);
  ir::Value* entry = anchorConv(graph, fresh, "anchor_in");
  graph.replaceAllUsesWith(input, entry);
  graph.removeInput(input);
  graph.setOutputs({anchorConv(graph, graph.outputs().at(0), "anchor_out")});
  graph.topologicalSort();
}

// Every structural rewrite of `model` with --force, with the region it changed.
std::vector<Candidate> candidates(ir::Model model, const passes::PassOptions& options) {
  std::vector<passes::RewriteRegion> regions;
  ir::Model before = model.clone();
  passes::PassManagerOptions manager{options, [&](std::string_view pass, const ir::Model& after) {
                                       for (auto& r : passes::changedRegions(before, after, std::string(pass), {}, 64))
                                         regions.push_back(std::move(r));
                                       before = after.clone();
                                     }};
  std::vector<Candidate> found;
  for (const passes::PassStatistics& stats : passes::runPipeline(model, passes::defaultPipelineNames(), manager))
    for (const passes::RewriteRecord& record : stats.rewrites)
      for (passes::RewriteRegion& region : regions)
        if (region.pass == stats.pass && region.scope == record.scope && region.uncheckable.empty() &&
            region.before.graph->inputs().size() == 1 && region.before.graph->outputs().size() == 1 &&
            anchorable(region.before.graph->inputs()[0]) && anchorable(region.before.graph->outputs()[0]) &&
            std::any_of(region.nodes.begin(), region.nodes.end(),
                        [&](const std::string& n) { return sameNode(n, record.node); }))
          found.push_back({std::move(region), record});
  return found;
}

// Times every candidate of `model` on `runtime` and prints one JSON line each.
void timeCandidates(const std::string& name, ir::Model model, const std::string& runtime,
                    const passes::PassOptions& options, const tools::calibrate::TimingOptions& timing) {
  std::vector<Candidate> found = candidates(std::move(model), options);
  std::vector<tools::calibrate::TimedModel> timed;
  for (size_t i = 0; i < found.size(); ++i) {
    anchor(found[i].region.before);
    anchor(found[i].region.after);
    timed.push_back({fmt::format("r{}_before", i), &found[i].region.before});
    timed.push_back({fmt::format("r{}_after", i), &found[i].region.after});
  }
  std::map<std::string, double> ms = tools::calibrate::timeOn(runtime, timed, timing);
  for (size_t i = 0; i < found.size(); ++i) {
    const passes::RewriteRecord& r = found[i].record;
    std::cout << nlohmann::json{{"model", name},
                                {"pass", found[i].region.pass},
                                {"node", r.node},
                                {"from", r.before.kind},
                                {"to", r.after.kind},
                                {"predicted_before_us", r.before.seconds * 1e6},
                                {"predicted_after_us", r.after.seconds * 1e6},
                                {"measured_before_us", ms.at(fmt::format("r{}_before", i)) * 1e3},
                                {"measured_after_us", ms.at(fmt::format("r{}_after", i)) * 1e3}}
                     .dump()
              << std::endl;
  }
  std::cerr << fmt::format("{}: {} candidates timed on {}\n", name, found.size(), runtime);
}

// The model as given and after the default pipeline costed for `runtime`
// (what `optimize --for RUNTIME` writes), both timed whole on that runtime.
void timeWholeModel(const std::string& name, ir::Model model, const std::string& runtime,
                    const passes::PassOptions& options, const tools::calibrate::TimingOptions& timing) {
  ir::Model optimized = model.clone();
  int64_t rewrites = 0;
  for (const passes::PassStatistics& stats :
       passes::runPipeline(optimized, passes::defaultPipelineNames(), {options, {}}))
    rewrites += int64_t(stats.rewrites.size());
  std::map<std::string, double> ms =
      tools::calibrate::timeOn(runtime, {{"given", &model}, {"optimized", &optimized}}, timing);
  std::cout << nlohmann::json{{"model", name},
                              {"rewrites", rewrites},
                              {"given_ms", ms.at("given")},
                              {"optimized_ms", ms.at("optimized")}}
                   .dump()
            << std::endl;
}

// The shared models' layout: DIR/NAME/model.onnx, input dims in DIR/manifest.json.
std::vector<bench::SweepModel> modelsIn(const std::string& dir) {
  std::ifstream manifestFile(fs::path(dir) / "manifest.json");
  if (!manifestFile) throwInputError("{}: no manifest.json", dir);
  std::vector<bench::SweepModel> models;
  for (const nlohmann::json& entry : nlohmann::json::parse(manifestFile)) {
    std::string name = entry["name"];
    ir::Model model = ir::loadModel((fs::path(dir) / name / "model.onnx").string());
    std::string spec = fmt::format("{}={}", model.graph->inputs().at(0)->name(),
                                   fmt::join(entry["input"].get<std::vector<int64_t>>(), "x"));
    ir::fixInputShapes(model, {spec});
    models.push_back({name, std::move(model)});
  }
  return models;
}

struct CheckOptions {
  std::string runtime = "convopt", costTable, dir;
  std::vector<std::string> extraModels;  // PATH=NAME=1x3x224x224
  bool sweep = false, whole = false;
  tools::calibrate::TimingOptions timing;
};

void check(const CheckOptions& o) {
  passes::PassOptions options;
  options.force = !o.whole;
  options.costModel = passes::selectCostModel(o.runtime, o.costTable);
  std::vector<bench::SweepModel> models = o.dir.empty() ? std::vector<bench::SweepModel>() : modelsIn(o.dir);
  for (const std::string& spec : o.extraModels) {
    size_t split = spec.find('=');
    if (split == std::string::npos) throwInputError("--model {}: expected PATH=INPUT=1x3x224x224", spec);
    ir::Model model = ir::loadModel(spec.substr(0, split));
    ir::fixInputShapes(model, {spec.substr(split + 1)});
    models.push_back({fs::path(spec.substr(0, split)).parent_path().filename().string(), std::move(model)});
  }
  if (o.sweep)
    for (bench::SweepModel& m : bench::candidateSweep()) models.push_back({"sweep/" + m.name, std::move(m.model)});
  for (bench::SweepModel& m : models)
    (o.whole ? timeWholeModel : timeCandidates)(m.name, std::move(m.model), o.runtime, options, o.timing);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"The cost model's predictions against measured times of every candidate rewrite"};
  CheckOptions o;
  app.add_option("--for", o.runtime, "convopt or onnxruntime");
  app.add_option("--cost-table", o.costTable, "A measured table instead of the built-in one");
  app.add_option("--threads", o.timing.threads, "Threads (default 1)");
  app.add_option("--runs", o.timing.runs, "Timed runs per model (default 40)");
  app.add_flag("--sweep", o.sweep, "Also the planted-structure sweep (bench/support/candidate_sweep.h)");
  app.add_option("--model", o.extraModels, "Also this model: PATH=INPUT=1x3x56x56 (repeatable)")
      ->allow_extra_args(false);
  app.add_flag("--whole", o.whole,
               "Instead of candidates: each model as given and after the default pipeline, timed whole: "
               "{model, rewrites, given_ms, optimized_ms}");
  app.add_option("models", o.dir, "Folder of models with manifest.json");
  CLI11_PARSE(app, argc, argv);
  try {
    check(o);
  } catch (const std::exception& e) {
    std::cerr << "cost_model_check: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
