// Drives `convopt compile -o DIR` the way a user's build does: compile a model,
// link examples/c/run_model.c against the artifact with a C compiler, run it on
// raw float32 files (natively, or under qemu-aarch64 for an AArch64 build).
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "ir/tensor.h"
#include "tests/support/cli_helpers.h"

namespace convopt::testing {

struct Artifact {
  std::filesystem::path dir;
  std::string name;
  std::string code;  // NAME.o, libNAME.a or libNAME.so
  bool aarch64 = false;
  std::string libraries = "";  // linker arguments beyond libm and pthreads (NAME.json's link_libraries)
};

// `convopt compile MODEL -o DIR --name NAME --no-measured-choices ARGS` (the
// kernels of a JitEngine made without measured choices, whatever this machine's
// cores and CPU family); fails the test on a non-zero exit. An artifact that
// needs libconvopt_fallback links the build tree's.
Artifact compileModel(const std::filesystem::path& model, const std::filesystem::path& dir, const std::string& name,
                      const std::string& args = "");
// Links run_model.c against the artifact; returns the executable.
std::filesystem::path linkDriver(const Artifact& artifact);
// Runs the driver on `inputs` (weights "-": embedded) and returns its outputs,
// shaped as `outputShapes`; fails the test on a non-zero exit.
std::vector<ir::Tensor> runDriver(const Artifact& artifact, const std::filesystem::path& driver,
                                  const std::string& weights, const std::vector<ir::Tensor>& inputs,
                                  const std::vector<std::vector<int64_t>>& outputShapes, int threads = 1);

// The dims of each tensor (a data set's outputs: what runDriver reads back).
std::vector<std::vector<int64_t>> dimsOf(const std::vector<ir::Tensor>& tensors);

// Whether two tensors hold the same bytes (artifacts run the JIT engine's kernels).
bool sameBits(const ir::Tensor& a, const ir::Tensor& b);

// Whether a tool is on PATH.
bool haveProgram(const std::string& name);

}  // namespace convopt::testing
