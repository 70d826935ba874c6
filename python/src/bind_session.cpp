// convopt._convopt.Session: a model compiled by the JIT engine, run on NumPy
// arrays. One engine per set of input shapes (codegen::ShapeCachedEngine), so
// a dynamic batch compiles once per batch size; a model whose inputs are all
// static compiles when the session is made, as onnxruntime's does.
#include <memory>

#include <pybind11/stl.h>

#include "codegen/engine/shape_cached_engine.h"
#include "ir/error.h"
#include "ir/shape_inference.h"
#include "python/src/bindings.h"
#include "python/src/model_source.h"
#include "python/src/numpy_tensors.h"

namespace py = pybind11;

namespace convopt::python {
namespace {

// (name, dims with None or the symbol's name where dynamic, "tensor(float)")
py::tuple describe(const ir::Value& value) {
  py::object shape = py::none();
  if (value.type.shape) {
    py::list dims;
    for (const ir::Dim& dim : *value.type.shape)
      dims.append(dim.isStatic()      ? py::object(py::int_(dim.value))
                  : dim.param.empty() ? py::object(py::none())
                                      : py::object(py::str(dim.param)));
    shape = dims;
  }
  return py::make_tuple(value.name(), shape, "tensor(" + std::string(ir::dtypeName(value.type.dtype)) + ")");
}

class Session {
 public:
  Session(const py::object& source, int threads, const std::vector<std::string>& inputShapes)
      : model_(loadModelFrom(source)) {
    py::gil_scoped_release release;
    for (const std::string& spec : inputShapes) ir::applyInputShape(model_, spec);
    ir::inferShapes(model_);
    engine_ = std::make_unique<codegen::ShapeCachedEngine>(
        model_, codegen::EngineOptions{.cpu = "", .threads = threads, .flushDenormals = true, .afterPlanningStep = {}});
    codegen::ShapeCachedEngine::Shapes shapes;
    for (const ir::Value* input : graphInputs()) {
      if (!input->type.hasStaticShape()) return;  // compiled at the first run, for its shapes
      shapes[input->name()] = input->type.staticShape();
    }
    engine_->prepare(shapes);
  }

  py::dict run(const py::dict& feeds) {
    runtime::TensorMap inputs;
    for (auto [key, value] : feeds) {
      std::string name = py::str(key);
      inputs.emplace(name, tensorFromArray(py::array::ensure(value), name));
    }
    runtime::TensorMap outputs;
    {
      py::gil_scoped_release release;
      outputs = engine_->run(inputs);
    }
    py::dict result;
    for (auto& [name, tensor] : outputs) result[py::str(name)] = arrayFromTensor(std::move(tensor), name);
    return result;
  }

  py::list inputs() const {
    py::list list;
    for (const ir::Value* input : graphInputs()) list.append(describe(*input));
    return list;
  }
  py::list outputs() const {
    py::list list;
    for (const ir::Value* output : model_.graph->outputs()) list.append(describe(*output));
    return list;
  }
  std::string explain() const { return engine_->explain(); }
  size_t compilations() const { return engine_->compilations(); }

 private:
  std::vector<const ir::Value*> graphInputs() const {  // those a run feeds: initializers are constants
    std::vector<const ir::Value*> inputs;
    for (const ir::Value* input : model_.graph->inputs())
      if (!input->isInitializer()) inputs.push_back(input);
    return inputs;
  }

  ir::Model model_;
  std::unique_ptr<codegen::ShapeCachedEngine> engine_;
};

}  // namespace

void bindSession(py::module_& m) {
  py::class_<Session>(m, "Session")
      .def(py::init<const py::object&, int, const std::vector<std::string>&>(), py::arg("model"), py::arg("threads"),
           py::arg("input_shapes"))
      .def("run", &Session::run, py::arg("feeds"))
      .def("inputs", &Session::inputs)
      .def("outputs", &Session::outputs)
      .def("explain", &Session::explain)
      .def("compilations", &Session::compilations);
}

}  // namespace convopt::python
