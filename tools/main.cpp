// convopt: ONNX convolution optimizer and compiler.
#include <fmt/format.h>

#include "ir/error.h"
#include "ir/memory_limit.h"
#include "tools/commands.h"

int main(int argc, char** argv) {
  using namespace convopt;
  CLI::App app{"convopt: rewrites ONNX convolutions into grouped / depthwise form and compiles them"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "convopt " CONVOPT_VERSION);
  // Global, also accepted after the command (fallthrough): every command reads models.
  app.fallthrough();
  app.add_option_function<std::string>(
      "--max-memory", [](const std::string& size) { ir::setMemoryLimit(ir::parseByteSize(size)); },
      fmt::format("Refuse a model whose tensors (one tensor, or a compiled model's arena) would need more than this, "
                  "e.g. 4G or 512M (default: half of physical memory, here {})",
                  ir::formatBytes(ir::memoryLimit())));
  for (auto registerCommand :
       {tools::registerInspectCommand, tools::registerOptimizeCommand, tools::registerRunCommand,
        tools::registerCompileCommand, tools::registerBenchCommand, tools::registerCalibrateCommand})
    registerCommand(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    std::vector<std::string> rest = app.remaining();  // CLI11 would say a command is required
    if (app.get_subcommands().empty() && e.get_exit_code() != 0 && !rest.empty() && rest.front()[0] != '-') {
      fmt::print(stderr,
                 "convopt: error: unknown command '{}' (inspect, optimize, run, compile, bench, calibrate; "
                 "convopt --help)\n",
                 rest.front());
      return kExitInputError;
    }
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitInputError;
  } catch (const tools::ExitWith& e) {
    return e.code;
  } catch (const InputError& e) {
    fmt::print(stderr, "convopt: error: {}\n", e.what());
    return kExitInputError;
  } catch (const std::exception& e) {
    fmt::print(stderr, "convopt: internal error: {}\n", e.what());
    return kExitInternalError;
  }
  return kExitOk;
}
