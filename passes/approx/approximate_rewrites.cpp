#include "passes/approx/approximate_rewrites.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <unordered_map>

#include "passes/approx/weight_projection.h"
#include "runtime/reference/interpreter.h"
#include "runtime/tensor_file.h"

namespace convopt::passes {
namespace {

struct Option {
  WeightProjection projection;
  double layerError = 0;
  double savedSeconds = 0;
};

struct Candidate {
  ConstantConv conv;            // its weight pointer is valid until the first setWeight
  std::vector<float> original;  // the weight as given
  ConvGeometry geometry;
  double seconds = 0;           // before, in one inference (a Loop body's conv: all its trips)
  std::vector<Option> options;  // by time saved, ascending
  int chosen = -1;
};

double maxAbs(const ir::Tensor& t) {
  double m = 0;
  for (float x : t.toFloatVector()) m = std::max(m, double(std::abs(x)));
  return m;
}

// `conv` alone on `input`, with `weight` (and its bias when `withBias`).
ir::Tensor runConv(const ConstantConv& conv, const ir::Tensor& input, const std::vector<float>& weight, bool withBias,
                   int64_t opset) {
  ir::Graph graph;
  ir::Value* x = graph.addInput("x", ir::ValueType::tensor(ir::DType::Float, input.dims()));
  ir::Tensor w = ir::Tensor::fromVector(ir::DType::Float, conv.weight->dims(), weight);
  w.name = graph.uniqueName("w");
  std::vector<ir::Value*> inputs = {x, graph.addInitializer(std::move(w))};
  if (withBias && conv.bias) {
    ir::Tensor b = *conv.bias;
    b.name = graph.uniqueName("b");
    inputs.push_back(graph.addInitializer(std::move(b)));
  }
  ir::Node* node = graph.createNode("Conv", inputs, {"y"});
  node->attributes = conv.node->attributes;
  graph.markOutput(node->output(0));
  return runtime::runReference(graph, {{"x", input}}, opset).at("y");
}

// The error a projection adds to the conv's own output on its calibration input.
double layerError(const ConstantConv& conv, const ir::Tensor& input, const WeightProjection& p, int64_t opset) {
  std::span<const float> w = conv.weight->data<float>();
  std::vector<float> difference(w.size());
  for (size_t i = 0; i < w.size(); ++i) difference[i] = w[i] - p.weight[i];
  double scale = maxAbs(runConv(conv, input, {w.begin(), w.end()}, true, opset));
  return maxAbs(runConv(conv, input, difference, false, opset)) / std::max(scale, 1e-30);
}

// Dense convs with a constant weight of their own, in `graph` and its bodies.
void collectCandidates(ir::Graph& graph, const PassOptions& options, std::vector<Candidate>& found) {
  for (ir::Node* node : graph.nodes()) {
    for (ir::Graph* body : node->subgraphs()) collectCandidates(*body, options, found);
    if (node->opType != "Conv" || !node->domain.empty()) continue;
    Expected<ConstantConv> conv = matchConstantConv(*node);
    if (!conv || conv->group != 1) continue;
    bool ownWeight = node->input(1)->isInitializer() && hasSingleUse(node->input(1));  // not captured, not shared
    if (!ownWeight) continue;
    std::span<const float> w = conv->weight->data<float>();
    ConvGeometry geometry = geometryOf(*conv, options);
    found.push_back({*conv, {w.begin(), w.end()}, geometry, options.cost().convSeconds(geometry), {}, -1});
  }
}

std::vector<Candidate> candidates(ir::Model& model, const ApproxRequest& request, const PassOptions& options) {
  ir::inferShapes(model);
  std::vector<Candidate> found;
  collectCandidates(*model.graph, options, found);
  // Every candidate's input on the calibration inputs, from one run: the first
  // tensor it takes, and how often it takes one (a body's conv runs once per
  // iteration, and saves its time as often).
  struct ConvInput {
    std::optional<ir::Tensor> first;
    int64_t runs = 0;
  };
  std::unordered_map<const ir::Value*, ConvInput> convInputs;
  for (const Candidate& c : found) convInputs[c.conv.node->input(0)];
  runtime::ValueObserver keepFirst = [&](const ir::Value& value, const ir::Tensor& tensor) {
    auto it = convInputs.find(&value);
    if (it == convInputs.end()) return;
    if (!it->second.first) it->second.first = tensor;
    ++it->second.runs;
  };
  runtime::runReference(*model.graph, equivalenceInputs(*model.graph, request.inputs), model.defaultOpset(),
                        &keepFirst);
  // A conv that never ran (in an If branch not taken) has no error to measure.
  std::erase_if(found, [&](const Candidate& c) { return !convInputs.at(c.conv.node->input(0)).first; });
  for (Candidate& c : found) {
    const ConvInput& input = convInputs.at(c.conv.node->input(0));
    for (WeightProjection& p : weightProjections(c.conv, c.geometry, options)) {
      double after = figuresOf(options.cost(), p.after).seconds;
      if (!rewritePays(c.seconds, after, options.minGain)) continue;
      double error = layerError(c.conv, *input.first, p, model.defaultOpset());
      c.options.push_back({std::move(p), error, double(input.runs) * (c.seconds - after)});
    }
    c.seconds *= double(input.runs);
    std::sort(c.options.begin(), c.options.end(),
              [](const Option& a, const Option& b) { return a.savedSeconds < b.savedSeconds; });
  }
  return found;
}

void setWeight(Candidate& c, int option) {
  const std::vector<float>& w = option < 0 ? c.original : c.options[size_t(option)].projection.weight;
  ir::Tensor t = ir::Tensor::fromVector(ir::DType::Float, c.conv.node->input(1)->type.staticShape(), w);
  t.name = c.conv.node->input(1)->name();
  c.conv.node->graph().setInitializer(c.conv.node->input(1), std::move(t));
}

double errorOf(const Candidate& c) { return c.chosen < 0 ? 0 : c.options[size_t(c.chosen)].layerError; }
double savedOf(const Candidate& c) { return c.chosen < 0 ? 0 : c.options[size_t(c.chosen)].savedSeconds; }

// Greedy steps (candidate index, option before the step) within the budget.
std::vector<std::pair<size_t, int>> chooseSteps(std::vector<Candidate>& found, double budget) {
  std::vector<std::pair<size_t, int>> steps;
  double spent = 0;
  for (;;) {
    double bestRatio = -1;
    size_t bestConv = 0;
    int bestOption = -1;
    for (size_t i = 0; i < found.size(); ++i)
      for (int o = found[i].chosen + 1; o < int(found[i].options.size()); ++o) {
        double addedError = found[i].options[size_t(o)].layerError - errorOf(found[i]);
        double saved = found[i].options[size_t(o)].savedSeconds - savedOf(found[i]);
        if (saved <= 0 || spent + addedError > budget) continue;
        double ratio = saved / std::max(addedError, 1e-12);
        if (ratio > bestRatio) bestRatio = ratio, bestConv = i, bestOption = o;
      }
    if (bestOption < 0) return steps;
    spent += found[bestConv].options[size_t(bestOption)].layerError - errorOf(found[bestConv]);
    steps.emplace_back(bestConv, found[bestConv].chosen);
    found[bestConv].chosen = bestOption;
  }
}

double modelError(const ir::Graph& original, const ir::Model& projected, const ApproxRequest& request) {
  double worst = 0;
  for (const OutputDifference& d :
       compareModels(original, *projected.graph, projected.defaultOpset(), request.inputs).outputs)
    worst = std::max(worst, d.maxAbsDiff / std::max(d.scale, 1e-30));
  return worst;
}

}  // namespace

ApproxRequest approxRequest(double budget, const std::string& calibrationDir, const ir::Graph& graph) {
  ApproxRequest request;
  request.budget = budget;
  request.inputsSource = calibrationDir;
  if (!calibrationDir.empty()) request.inputs.inputs = runtime::loadInputFolder(calibrationDir, graph);
  return request;
}

ApproxOutcome approximateWeights(ir::Model& model, const ApproxRequest& request, const PassOptions& options,
                                 std::ostream& log) {
  std::unique_ptr<ir::Graph> original = model.graph->clone();
  std::vector<Candidate> found = candidates(model, request, options);
  std::vector<std::pair<size_t, int>> steps = chooseSteps(found, request.budget);
  for (Candidate& c : found)
    if (c.chosen >= 0) setWeight(c, c.chosen);
  ApproxOutcome outcome;
  outcome.modelError = modelError(*original, model, request);
  while (outcome.modelError > request.budget && !steps.empty()) {
    auto [conv, previous] = steps.back();
    steps.pop_back();
    found[conv].chosen = previous;
    setWeight(found[conv], previous);
    ++outcome.undone;
    outcome.modelError = modelError(*original, model, request);
  }
  for (Candidate& c : found) {
    if (c.chosen < 0) continue;
    const Option& o = c.options[size_t(c.chosen)];
    outcome.layers.push_back({c.conv.node->label(), o.projection.method, o.projection.parameter,
                              o.projection.weightError, o.layerError, c.seconds, c.seconds - o.savedSeconds});
    noteRewrite(*c.conv.node, "approximate",
                fmt::format("APPROXIMATE: weight projected to {} {} (weight error {:.2g}, output error {:.2g} on the "
                            "calibration inputs) under --approx {}",
                            o.projection.method, o.projection.parameter, o.projection.weightError, o.layerError,
                            request.budget));
  }
  log << fmt::format("approximate (--approx {}, {}): {} convs projected, model error {:.3g}{}\n", request.budget,
                     request.inputsSource.empty() ? "seeded random inputs" : request.inputsSource,
                     outcome.layers.size(), outcome.modelError,
                     outcome.undone ? fmt::format(" ({} steps undone to fit the budget)", outcome.undone) : "");
  if (request.inputsSource.empty())
    log << "warning: --approx measured its error on seeded random inputs, a weak proxy for real data; "
           "give --calibration DIR\n";
  for (const ApproximateLayer& l : outcome.layers)
    log << fmt::format("  {:<40} {} {:<3} weight error {:.3g}, output error {:.3g}, estimated {:.3g} -> {:.3g} us\n",
                       l.node, l.method, l.parameter, l.weightError, l.layerError, l.secondsBefore * 1e6,
                       l.secondsAfter * 1e6);
  return outcome;
}

nlohmann::json ApproxOutcome::json(const ApproxRequest& request) const {
  nlohmann::json layersJson = nlohmann::json::array();
  for (const ApproximateLayer& l : layers)
    layersJson.push_back({{"node", l.node},
                          {"method", l.method},
                          {"parameter", l.parameter},
                          {"weight_error", l.weightError},
                          {"output_error", l.layerError},
                          {"estimated_seconds_before", l.secondsBefore},
                          {"estimated_seconds_after", l.secondsAfter}});
  return {{"budget", request.budget},
          {"inputs", request.inputsSource.empty() ? "seeded random" : request.inputsSource},
          {"model_error", modelError},
          {"undone_steps", undone},
          {"layers", layersJson}};
}

}  // namespace convopt::passes
