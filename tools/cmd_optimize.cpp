// convopt optimize IN -o OUT: rewrites a model and writes it atomically.
#include "ir/onnx_io.h"
#include "ir/shape_inference.h"
#include "ir/verifier.h"
#include "tools/commands.h"

namespace convopt::tools {

void registerOptimizeCommand(CLI::App& app) {
  struct Options {
    std::string input;
    std::string output;
    size_t externalThreshold = 0;
  };
  auto options = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("optimize", "Rewrite convolutions and write the optimized model");
  cmd->add_option("input", options->input, "ONNX model to read (never modified)")->required();
  cmd->add_option("-o,--output", options->output, "Where to write the optimized model")->required();
  cmd->add_option("--external-data", options->externalThreshold,
                  "Write tensors of at least this many bytes to OUTPUT.data (0: all inline)");
  cmd->callback([options] {
    ir::Model model = ir::loadModel(options->input);
    ir::verifyGraph(*model.graph);
    ir::checkShapes(model);
    ir::saveModel(model, options->output, {options->externalThreshold});
  });
}

}  // namespace convopt::tools
