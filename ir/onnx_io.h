// ONNX import and export: protobuf <-> IR. Import resolves external data
// relative to the model's folder; export can write large tensors externally.
// Both are lossless for what ONNX 1.12 defines (see docs/ARCHITECTURE.md).
#pragma once
#include <filesystem>
#include <string>

#include "ir/graph.h"

namespace onnx {
class ModelProto;
}

namespace convopt::ir {

// Reads and imports a model file: a ModelProto, or ONNX text syntax when the
// name ends in .onnxtxt. Throws InputError naming the problem for unreadable,
// empty, truncated or non-ONNX files and for malformed graphs.
Model loadModel(const std::filesystem::path& path);
// Imports a serialized ModelProto; `baseDir` resolves external data and
// `source` names the bytes in errors (the file, or "the model bytes").
Model parseModelBytes(const std::string& bytes, const std::filesystem::path& baseDir, const std::string& source);
// Imports a model written in ONNX's text syntax (onnx::OnnxParser).
Model parseModelText(const std::string& text);
// Imports an already-parsed proto; `baseDir` resolves external data.
Model importModel(const onnx::ModelProto& proto, const std::filesystem::path& baseDir);

struct ExportOptions {
  // Tensors of at least this many bytes go to an external data file beside the
  // model (named after it, ".data" appended). 0: everything inline.
  size_t externalDataThreshold = 0;
};

// A graph whose initializer inputs are constants (IR version < 4) lists every
// initializer as a graph input, including those passes created.
onnx::ModelProto exportModel(const Model& model);
// The serialized ModelProto, all tensors inline (what saveModel writes without
// external data); InputError past protobuf's 2 GiB limit.
std::string serializeModel(const Model& model);
// Writes atomically: temp file + rename in the target folder, so a failure
// leaves no partial output and never touches an existing file until the end.
void saveModel(const Model& model, const std::filesystem::path& path, const ExportOptions& options = {});

}  // namespace convopt::ir
