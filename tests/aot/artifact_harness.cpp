#include "tests/aot/artifact_harness.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstring>
#include <nlohmann/json.hpp>

namespace convopt::testing {
namespace fs = std::filesystem;

Artifact compileModel(const fs::path& model, const fs::path& dir, const std::string& name, const std::string& args) {
  RunResult result = runConvopt(
      fmt::format("compile '{}' -o '{}' --name {} --no-measured-choices {}", model.string(), dir.string(), name, args),
      dir.parent_path());
  EXPECT_EQ(result.exitCode, 0) << result.stderrText;
  Artifact artifact{dir, name, name + ".o"};
  if (result.exitCode != 0) return artifact;
  // What was built, read as a user's build would: from NAME.json.
  nlohmann::json description = nlohmann::json::parse(readFile(dir / (name + ".json")));
  std::string format = description.at("format");
  artifact.code = format == "static" ? "lib" + name + ".a" : format == "shared" ? "lib" + name + ".so" : name + ".o";
  artifact.aarch64 = description.at("target").at("triple").get<std::string>().starts_with("aarch64");
  for (const nlohmann::json& library : description.at("link_libraries")) {
    if (library != "convopt_fallback") continue;
    if (artifact.code.ends_with(".so"))  // deployed beside it: libNAME.so looks in its own folder ($ORIGIN)
      fs::copy_file(fs::path(CONVOPT_FALLBACK_LIBRARY_DIR) / "libconvopt_fallback.so.1",
                    dir / "libconvopt_fallback.so.1");
    else
      artifact.libraries = fmt::format("-L'{0}' -lconvopt_fallback -Wl,-rpath,'{0}'", CONVOPT_FALLBACK_LIBRARY_DIR);
  }
  return artifact;
}

fs::path linkDriver(const Artifact& a) {
  std::string upper = a.name;
  for (char& c : upper) c = char(std::toupper(static_cast<unsigned char>(c)));
  fs::path driver = a.dir / "run_model";
  std::string rpath = a.code.ends_with(".so") ? fmt::format("-Wl,-rpath,'{}'", a.dir.string()) : "";
  RunResult result = runCommand(
      fmt::format(
          "{} -std=c99 -O2 -Wall -Wextra -Werror -I'{}' -DMODEL={} -DMODEL_UPPER={} '{}/examples/c/run_model.c' "
          "'{}' {} {} -lm -lpthread {} -o '{}'",
          a.aarch64 ? "aarch64-linux-gnu-gcc" : CONVOPT_TEST_C_COMPILER, a.dir.string(), a.name, upper,
          CONVOPT_SOURCE_DIR, (a.dir / a.code).string(), rpath, a.libraries, a.aarch64 ? "-static" : "",
          driver.string()),
      a.dir.parent_path());
  EXPECT_EQ(result.exitCode, 0) << result.stderrText;
  return driver;
}

std::vector<ir::Tensor> runDriver(const Artifact& a, const fs::path& driver, const std::string& weights,
                                  const std::vector<ir::Tensor>& inputs,
                                  const std::vector<std::vector<int64_t>>& outputShapes, int threads) {
  std::string args = fmt::format("'{}' --threads {}", weights, threads);
  for (size_t i = 0; i < inputs.size(); ++i) {
    fs::path file = a.dir / fmt::format("input_{}.bin", i);
    writeFile(file, std::string(reinterpret_cast<const char*>(inputs[i].bytes().data()), inputs[i].byteSize()));
    args += fmt::format(" --in '{}'", file.string());
  }
  for (size_t i = 0; i < outputShapes.size(); ++i)
    args += fmt::format(" --out '{}'", (a.dir / fmt::format("output_{}.bin", i)).string());
  std::string runner = a.aarch64 ? "qemu-aarch64 " : "";
  RunResult result = runCommand(fmt::format("{}'{}' {}", runner, driver.string(), args), a.dir.parent_path());
  EXPECT_EQ(result.exitCode, 0) << result.stderrText;
  std::vector<ir::Tensor> outputs;
  for (size_t i = 0; i < outputShapes.size(); ++i) {
    std::string bytes = readFile(a.dir / fmt::format("output_{}.bin", i));
    ir::Tensor tensor(ir::DType::Float, outputShapes[i]);
    if (bytes.size() == tensor.byteSize())
      std::memcpy(tensor.mutableBytes().data(), bytes.data(), bytes.size());
    else
      ADD_FAILURE() << "output " << i << ": " << bytes.size() << " bytes, expected " << tensor.byteSize();
    outputs.push_back(std::move(tensor));
  }
  return outputs;
}

std::vector<std::vector<int64_t>> dimsOf(const std::vector<ir::Tensor>& tensors) {
  std::vector<std::vector<int64_t>> dims;
  for (const ir::Tensor& t : tensors) dims.push_back(t.dims());
  return dims;
}

bool sameBits(const ir::Tensor& a, const ir::Tensor& b) {
  return a.byteSize() == b.byteSize() && std::memcmp(a.bytes().data(), b.bytes().data(), a.byteSize()) == 0;
}

bool haveProgram(const std::string& name) {
  return std::system(fmt::format("command -v '{}' >/dev/null 2>&1", name).c_str()) == 0;
}

}  // namespace convopt::testing
