// Helpers for tests that drive the convopt binary (CONVOPT_BINARY).
#pragma once
#include <filesystem>
#include <string>

namespace convopt::testing {

std::string readFile(const std::filesystem::path& path);
void writeFile(const std::filesystem::path& path, const std::string& bytes);
// A serialized ModelProto from ONNX text syntax.
std::string textModelBytes(const std::string& text);

struct RunResult {
  int exitCode;
  std::string stdoutText;
  std::string stderrText;
};
// Runs a shell command line with its output captured in `scratchDir`.
RunResult runCommand(const std::string& commandLine, const std::filesystem::path& scratchDir);
// Runs `convopt ARGS` (ARGS already shell-quoted) with output captured in `scratchDir`.
RunResult runConvopt(const std::string& args, const std::filesystem::path& scratchDir);

}  // namespace convopt::testing
