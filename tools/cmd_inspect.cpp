// convopt inspect MODEL [--json] [--ir] [--input-shape NAME=1x3xHxW]: what a model contains.
#include <iostream>

#include <nlohmann/json.hpp>

#include "ir/model_summary.h"
#include "ir/onnx_io.h"
#include "ir/printer.h"
#include "ir/shape_inference.h"
#include "ir/verifier.h"
#include "tools/commands.h"

namespace convopt::tools {

void registerInspectCommand(CLI::App& app) {
  struct Options {
    std::string model;
    bool ir = false;
    bool json = false;
    std::vector<std::string> inputShapes;
  };
  auto options = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("inspect", "Summarise a model: opsets, inputs, ops, convolutions");
  cmd->add_option("model", options->model, "ONNX model file")->required();
  cmd->add_flag("--ir", options->ir, "Print the IR as ONNX text syntax");
  cmd->add_flag("--json", options->json, "Print the summary as JSON");
  cmd->add_option("--input-shape", options->inputShapes,
                  "Fix a dynamic input's dims for shape inference and MACs, e.g. x=1x3x48x192 (repeatable)");
  cmd->callback([options] {
    ir::Model model = ir::loadModel(options->model);
    ir::verifyGraph(*model.graph);
    if (options->ir) {
      std::cout << ir::printModel(model);
      return;
    }
    for (const std::string& spec : options->inputShapes) ir::applyInputShape(model, spec);
    ir::inferShapes(model);
    ir::ModelSummary summary = ir::summarizeModel(model);
    if (options->json)
      std::cout << ir::summaryToJson(summary).dump(2) << "\n";
    else
      std::cout << "model:   " << options->model << "\n" << ir::summaryToText(summary);
  });
}

}  // namespace convopt::tools
