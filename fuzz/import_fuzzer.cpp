// libFuzzer target: arbitrary bytes as an ONNX file, through everything
// `convopt inspect` does with one — protobuf parse, import, verifier, shape
// inference (libonnx's, then the project's rules). The only acceptable
// failure is an InputError (a clear message, exit code 2 in the CLI); a crash,
// sanitizer report, hang or runaway allocation is a bug.
#include <cstddef>
#include <cstdint>
#include <filesystem>

#include <onnx/onnx_pb.h>

#include "ir/error.h"
#include "ir/onnx_io.h"
#include "ir/shape_inference.h"
#include "ir/verifier.h"

namespace {

// External data resolves against an empty folder: every reference is missing.
const std::filesystem::path& emptyFolder() {
  static const std::filesystem::path folder = [] {
    std::filesystem::path path = std::filesystem::temp_directory_path() / "convopt-import-fuzzer-empty";
    std::filesystem::create_directories(path);
    return path;
  }();
  return folder;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  onnx::ModelProto proto;
  if (!proto.ParseFromArray(data, int(size)) || !proto.has_graph()) return 0;
  try {
    convopt::ir::Model model = convopt::ir::importModel(proto, emptyFolder());
    convopt::ir::verifyGraph(*model.graph);
    convopt::ir::inferShapes(model);
  } catch (const convopt::InputError&) {
  }
  return 0;
}
