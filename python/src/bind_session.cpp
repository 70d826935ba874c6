// convopt._convopt.Session: a model compiled by the JIT engine, run on NumPy
// arrays. One engine per set of input shapes (codegen::ShapeCachedEngine), so
// a dynamic batch compiles once per batch size; a model whose inputs are all
// static compiles when the session is made, as onnxruntime's does.
#include <memory>

#include <pybind11/stl.h>

#include "codegen/engine/measured_choices.h"
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

// Those a run feeds: initializers are constants.
std::vector<const ir::Value*> fedInputs(const ir::Graph& graph) {
  std::vector<const ir::Value*> inputs;
  for (const ir::Value* input : graph.inputs())
    if (!input->isInitializer()) inputs.push_back(input);
  return inputs;
}

class Session {
 public:
  // The engine keeps its own copy of the model; the session keeps only how its
  // inputs and outputs are described.
  Session(const py::object& source, int threads, bool fixedThreads, const std::vector<std::string>& inputShapes,
          const std::string& winograd, bool ringFusion, bool measured, bool kernelCache) {
    ir::Model model = loadModelFrom(source);
    std::vector<const ir::Value*> fed;
    {
      py::gil_scoped_release release;
      for (const std::string& spec : inputShapes) ir::applyInputShape(model, spec);
      ir::inferShapes(model);
      fed = fedInputs(*model.graph);
      codegen::EngineOptions options{
          .cpu = "",
          .threads = threads,
          .flushDenormals = true,
          .adaptThreads = !fixedThreads,
          .winograd = codegen::winogradUseNamed(winograd),
          .measuredWinogradTiles = {},
          .measuredConvVariants = {},
          .ringFusion = ringFusion ? codegen::RingFusionUse::Auto : codegen::RingFusionUse::Never,
          .afterPlanningStep = {},
          .triple = {},
          .kernelCache = kernelCache};
      if (measured) codegen::takeMeasuredChoices(options);
      engine_ = std::make_unique<codegen::ShapeCachedEngine>(model, options);
      codegen::ShapeCachedEngine::Shapes shapes;
      for (const ir::Value* input : fed)
        if (input->type.hasStaticShape()) shapes[input->name()] = input->type.staticShape();
      if (shapes.size() == fed.size()) engine_->prepare(shapes);  // else at the first run
    }
    for (const ir::Value* input : fed) inputs_.append(describe(*input));
    for (const ir::Value* output : model.graph->outputs()) outputs_.append(describe(*output));
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

  py::list inputs() const { return inputs_; }
  py::list outputs() const { return outputs_; }
  std::string explain() const { return engine_->explain(); }

 private:
  std::unique_ptr<codegen::ShapeCachedEngine> engine_;
  py::list inputs_, outputs_;  // describe() of each
};

}  // namespace

void bindSession(py::module_& m) {
  py::class_<Session>(m, "Session")
      .def(py::init<const py::object&, int, bool, const std::vector<std::string>&, const std::string&, bool, bool,
                    bool>(),
           py::arg("model"), py::arg("threads"), py::arg("fixed_threads"), py::arg("input_shapes"), py::arg("winograd"),
           py::arg("ring_fusion"), py::arg("measured"), py::arg("kernel_cache"))
      .def("run", &Session::run, py::arg("feeds"))
      .def("inputs", &Session::inputs)
      .def("outputs", &Session::outputs)
      .def("explain", &Session::explain);
}

}  // namespace convopt::python
