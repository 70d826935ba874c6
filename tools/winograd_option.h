// `--winograd MODE` / `--no-winograd` of the commands that generate code
// (run, bench, compile): whether 3x3 convs may run in the Winograd domain
// (codegen/conv/winograd.h); codegen::winogradUseNamed reads the mode.
#pragma once
#include <string>

#include <CLI/CLI.hpp>

namespace convopt::tools {

void addWinogradOption(CLI::App* command, std::string& mode);

}  // namespace convopt::tools
