// A model handed to the Python API: the bytes of a ModelProto (what
// onnx.ModelProto.SerializeToString gives) or the path of a model file.
#pragma once
#include <string>

#include <pybind11/pybind11.h>

#include "ir/graph.h"

namespace convopt::python {

// bytes: parsed (external data resolved against the current folder);
// str or os.PathLike: loaded as `convopt` loads a file. Then verified.
ir::Model loadModelFrom(const pybind11::object& source);

// The path `source` names, "" for bytes.
std::string modelPathOf(const pybind11::object& source);

}  // namespace convopt::python
