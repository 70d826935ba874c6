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

void registerInspectCommand(CLI::App& app);
void registerOptimizeCommand(CLI::App& app);
void registerRunCommand(CLI::App& app);
void registerBenchCommand(CLI::App& app);
void registerCompileCommand(CLI::App& app);

}  // namespace convopt::tools
