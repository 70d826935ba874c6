#include "tests/support/cli_helpers.h"

#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>
#include <onnx/defs/parser.h>
#include <onnx/onnx_pb.h>

#include "tests/support/ir_temp_dir.h"

namespace convopt::testing {

std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void writeFile(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

std::string conv3x3ModelBytes() {
  return textModelBytes(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,16,10,10] x) => (float[1,16,10,10] y)
<float[16,16,3,3] w = {)" +
                        fmt::format("{}", fmt::join(std::vector<float>(2304, 0.01f), ", ")) +
                        R"(}>
{
  y = Conv <pads = [1, 1, 1, 1]> (x, w)
}
)");
}

std::string textModelBytes(const std::string& text) {
  onnx::ModelProto proto;
  auto status = onnx::OnnxParser::Parse(proto, text.c_str());
  if (!status.IsOK()) throw std::runtime_error("ONNX text does not parse: " + status.ErrorMessage());
  return proto.SerializeAsString();
}

RunResult runCommand(const std::string& commandLine, const std::filesystem::path& scratchDir) {
  auto out = scratchDir / "stdout.txt", err = scratchDir / "stderr.txt";
  std::string command = fmt::format("{} >'{}' 2>'{}'", commandLine, out.string(), err.string());
  int status = std::system(command.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, readFile(out), readFile(err)};
}

RunResult runConvopt(const std::string& args, const std::filesystem::path& scratchDir) {
  return runCommand(fmt::format("'{}' {}", CONVOPT_BINARY, args), scratchDir);
}

void expectRejected(const std::string& bytes, const std::string& expected,
                    const std::function<void(const TempDir&)>& setUp) {
  TempDir dir;
  std::filesystem::create_directory(dir / "in");
  std::filesystem::path model = dir / "in" / "model.onnx";
  writeFile(model, bytes);
  if (setUp) setUp(dir);
  for (const char* command : {"inspect", "inspect --json", "optimize"}) {
    SCOPED_TRACE(command);
    std::filesystem::path out = dir / "out.onnx";
    std::string args = fmt::format("{} '{}'", command, model.string());
    if (std::string(command) == "optimize") args += fmt::format(" -o '{}'", out.string());
    RunResult r = runConvopt(args, dir.path());
    EXPECT_EQ(r.exitCode, 2);
    EXPECT_TRUE(r.stderrText.starts_with("convopt: error: ")) << r.stderrText;
    EXPECT_EQ(std::count(r.stderrText.begin(), r.stderrText.end(), '\n'), 1) << r.stderrText;
    EXPECT_NE(r.stderrText.find(expected), std::string::npos) << r.stderrText;
    EXPECT_EQ(readFile(model), bytes);
    // No output, no external data file, no temp file beside them.
    for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
      EXPECT_EQ(entry.path().filename().string().find("out.onnx"), std::string::npos) << entry.path();
  }
}

std::filesystem::path fuzzFinding(const std::string& file) {
  return std::filesystem::path(CONVOPT_SOURCE_DIR) / "tests" / "cli" / "fuzz_regressions" / file;
}

}  // namespace convopt::testing
