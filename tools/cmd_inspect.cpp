// convopt inspect MODEL [--ir]: what a model contains.
#include <iostream>

#include "ir/onnx_io.h"
#include "ir/printer.h"
#include "ir/verifier.h"
#include "tools/commands.h"

namespace convopt::tools {

void registerInspectCommand(CLI::App& app) {
  struct Options {
    std::string model;
    bool ir = false;
  };
  auto options = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("inspect", "Summarise a model: opsets, inputs, ops, convolutions");
  cmd->add_option("model", options->model, "ONNX model file")->required();
  cmd->add_flag("--ir", options->ir, "Print the IR as ONNX text syntax");
  cmd->callback([options] {
    ir::Model model = ir::loadModel(options->model);
    ir::verifyGraph(*model.graph);
    if (options->ir) std::cout << ir::printModel(model);
  });
}

}  // namespace convopt::tools
