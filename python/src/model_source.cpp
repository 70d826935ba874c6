#include "python/src/model_source.h"

#include <filesystem>

#include "ir/onnx_io.h"
#include "ir/verifier.h"

namespace py = pybind11;

namespace convopt::python {

std::string modelPathOf(const py::object& source) {
  if (py::isinstance<py::bytes>(source)) return "";
  return py::str(py::module_::import("os").attr("fspath")(source));
}

ir::Model loadModelFrom(const py::object& source) {
  ir::Model model;
  if (py::isinstance<py::bytes>(source)) {
    std::string bytes = source.cast<std::string>();
    py::gil_scoped_release release;
    model = ir::parseModelBytes(bytes, std::filesystem::current_path(), "the model");
  } else {
    std::string path = modelPathOf(source);
    py::gil_scoped_release release;
    model = ir::loadModel(path);
  }
  ir::verifyGraph(*model.graph);
  return model;
}

}  // namespace convopt::python
