// convopt inspect MODEL [OTHER] [--json] [--ir] [--html FILE] [--input-shape NAME=1x3xHxW]:
// what a model contains, or what changed between it and OTHER.
#include <fmt/format.h>

#include <iostream>
#include <optional>

#include <nlohmann/json.hpp>

#include "ir/atomic_file.h"
#include "ir/model_summary.h"
#include "ir/onnx_io.h"
#include "ir/printer.h"
#include "ir/shape_inference.h"
#include "ir/verifier.h"
#include "passes/model_diff.h"
#include "tools/commands.h"
#include "tools/report/html_report.h"

namespace convopt::tools {

void registerInspectCommand(CLI::App& app) {
  struct Options {
    std::string model;
    bool ir = false;
    bool json = false;
    std::vector<std::string> inputShapes;
    std::string diffWith;
    std::string html, profileJson;
  };
  auto options = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("inspect", "Summarise a model: opsets, inputs, ops, convolutions");
  cmd->add_option("model", options->model, "ONNX model file")->required();
  cmd->add_flag("--ir", options->ir, "Print the IR as ONNX text syntax");
  cmd->add_flag("--json", options->json, "Print the summary as JSON");
  repeatable(
      cmd->add_option("--input-shape", options->inputShapes,
                      "Fix a dynamic input's dims for shape inference and MACs, e.g. x=1x3x48x192 (repeatable)"));
  cmd->add_option("other,--diff", options->diffWith,
                  "Compare MODEL (before) with this model (after): nodes removed, added, changed; totals");
  CLI::Option* html = cmd->add_option(
      "--html", options->html,
      "Write an HTML report of MODEL (and of what changed in OTHER): graphs, every conv, where the time goes");
  cmd->add_option("--profile-json", options->profileJson,
                  "With --html: time bars from `convopt bench --profile --json` (default: the cost model's prediction)")
      ->needs(html);
  auto loadAnalyzed = [options](const std::string& path) {
    ir::Model model = ir::loadModel(path);
    ir::verifyGraph(*model.graph);
    for (const std::string& spec : options->inputShapes) ir::applyInputShape(model, spec);
    ir::inferShapes(model);
    return model;
  };
  cmd->callback([options, loadAnalyzed] {
    if (options->ir) {
      ir::Model model = ir::loadModel(options->model);
      ir::verifyGraph(*model.graph);
      std::cout << ir::printModel(model);
      return;
    }
    ir::checkNotInput(options->html, {options->model, options->diffWith, options->profileJson});
    ir::Model model = loadAnalyzed(options->model);
    if (!options->html.empty()) {
      nlohmann::json profile =
          options->profileJson.empty() ? nlohmann::json() : report::readProfileJson(options->profileJson);
      std::optional<ir::Model> other;
      if (!options->diffWith.empty()) other = loadAnalyzed(options->diffWith);
      std::string title =
          fmt::format("convopt inspect {}{}", options->model, other ? " " + options->diffWith : std::string());
      ir::writeFileAtomically(options->html,
                              report::renderHtmlReport({title, options->model, options->diffWith, &model,
                                                        other ? &*other : nullptr, nlohmann::json::array(), profile}));
      return;
    }
    if (!options->diffWith.empty()) {
      passes::ModelDiff diff = passes::diffModels(model, loadAnalyzed(options->diffWith));
      std::cout << (options->json ? passes::modelDiffToJson(diff).dump(2) + "\n" : passes::modelDiffToText(diff));
      return;
    }
    ir::ModelSummary summary = ir::summarizeModel(model);
    if (options->json)
      std::cout << ir::summaryToJson(summary).dump(2) << "\n";
    else
      std::cout << "model:   " << options->model << "\n" << ir::summaryToText(summary);
  });
}

}  // namespace convopt::tools
