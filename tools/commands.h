// The convopt CLI's subcommands. Each lives in its own cmd_*.cpp and registers
// itself on the app; main.cpp lists them once and maps errors to exit codes.
#pragma once
#include <stdexcept>

#include <CLI/CLI.hpp>

namespace convopt::tools {

// Thrown by a command that ran but must exit non-zero (e.g. a failed --check);
// it has already printed why.
struct ExitWith : std::exception {
  explicit ExitWith(int code) : code(code) {}
  int code;
};

// A repeatable option (--input-shape x=1x3x8x8 --input-shape y=...): one value
// per occurrence, so `--input-shape x=1x3x8x8 model.onnx` leaves the model a
// positional argument (CLI11 lets a vector option take every value that follows).
inline CLI::Option* repeatable(CLI::Option* option) { return option->allow_extra_args(false); }

void registerInspectCommand(CLI::App& app);
void registerOptimizeCommand(CLI::App& app);
void registerRunCommand(CLI::App& app);
void registerBenchCommand(CLI::App& app);
void registerCompileCommand(CLI::App& app);
void registerCalibrateCommand(CLI::App& app);

}  // namespace convopt::tools
