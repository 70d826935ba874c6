// Helpers for tests that drive the convopt binary (CONVOPT_BINARY).
#pragma once
#include <filesystem>
#include <functional>
#include <string>

namespace convopt::testing {

std::string readFile(const std::filesystem::path& path);
void writeFile(const std::filesystem::path& path, const std::string& bytes);
// A serialized ModelProto from ONNX text syntax.
std::string textModelBytes(const std::string& text);
// One 16-channel 3x3 conv (pads 1) at 10x10, every weight 0.01: a Winograd
// candidate (layer n1_conv3x3_s1_d1_g1_c16x10x10_o16_p1_1_1_1) the estimate keeps direct.
std::string conv3x3ModelBytes();

struct RunResult {
  int exitCode;
  std::string stdoutText;
  std::string stderrText;
};
// Runs a shell command line with its output captured in `scratchDir`.
RunResult runCommand(const std::string& commandLine, const std::filesystem::path& scratchDir);
// Runs `convopt ARGS` (ARGS already shell-quoted) with output captured in `scratchDir`.
RunResult runConvopt(const std::string& args, const std::filesystem::path& scratchDir);

class TempDir;

// Bad input's contract: runs `inspect`, `inspect --json` and `optimize` on
// `bytes` written as in/model.onnx (plus side files `setUp` makes) and checks
// each exits 2 with one error line containing `expected`, leaves the model as it
// was and writes no output, external data or temp file.
void expectRejected(const std::string& bytes, const std::string& expected,
                    const std::function<void(const TempDir&)>& setUp = {});

// An input a fuzz target found crashing convopt, kept as found in tests/cli/fuzz_regressions/.
std::filesystem::path fuzzFinding(const std::string& file);

}  // namespace convopt::testing
