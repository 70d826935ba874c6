#include "tests/support/cli_helpers.h"

#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>
#include <onnx/defs/parser.h>
#include <onnx/onnx_pb.h>

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

}  // namespace convopt::testing
