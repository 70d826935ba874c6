// convopt compile MODEL --emit-llvm FILE | --emit-asm FILE [--node NAME]:
// writes the optimised LLVM IR or the assembly of the kernels the JIT engine
// generates for the model (or for one node) — for inspection.
#include <fstream>
#include <iostream>

#include "codegen/engine/jit_engine.h"
#include "ir/error.h"
#include "ir/onnx_io.h"
#include "ir/verifier.h"
#include "tools/commands.h"
#include "tools/engine_inputs.h"

namespace convopt::tools {

namespace {

struct CompileOptions {
  std::string model;
  std::string emitLlvm, emitAsm;
  std::string node;
  std::string cpu;
  std::vector<std::string> shapes;
};

// "-" is standard output; a file is written whole or not at all.
void writeText(const std::string& path, const std::string& text) {
  if (path == "-") {
    std::cout << text;
    return;
  }
  std::string temp = path + ".tmp";
  {
    std::ofstream out(temp, std::ios::binary);
    if (!(out << text)) throwInputError("cannot write '{}'", path);
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) throwInputError("cannot write '{}'", path);
}

void compile(const CompileOptions& o) {
  if (o.emitLlvm.empty() == o.emitAsm.empty()) throwInputError("give exactly one of --emit-llvm FILE, --emit-asm FILE");
  ir::Model model = ir::loadModel(o.model);
  ir::verifyGraph(*model.graph);
  auto shapes = engineInputShapes(model, o.shapes);
  bool assembly = !o.emitAsm.empty();
  writeText(assembly ? o.emitAsm : o.emitLlvm, codegen::emitKernels(model, shapes, {o.cpu, 1}, o.node, assembly));
}

}  // namespace

void registerCompileCommand(CLI::App& app) {
  auto o = std::make_shared<CompileOptions>();
  CLI::App* cmd = app.add_subcommand("compile", "Generate a model's kernels; write their LLVM IR or assembly");
  cmd->add_option("model", o->model, "ONNX model file")->required();
  cmd->add_option("--emit-llvm", o->emitLlvm, "Write the optimised LLVM IR there ('-': stdout)");
  cmd->add_option("--emit-asm", o->emitAsm, "Write the assembly there ('-': stdout)");
  cmd->add_option("--node", o->node, "Only the kernels of this node (name, or label such as Conv(y))");
  cmd->add_option("--cpu", o->cpu, "Target CPU: host (default), x86-64-v3 (AVX2), x86-64-v4 (AVX-512), ...");
  cmd->add_option("--input-shape,--shape", o->shapes, "NAME=1x3x224x224: dims of an input with dynamic dims (repeatable)");
  cmd->callback([o] { compile(*o); });
}

}  // namespace convopt::tools
