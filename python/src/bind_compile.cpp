// convopt._convopt.compile: `convopt compile -o DIR` (codegen/aot/aot_compiler.h)
// after the pass pipeline, returning what it wrote.
#include <pybind11/stl.h>

#include "codegen/aot/aot_compiler.h"
#include "codegen/engine/measured_choices.h"
#include "ir/shape_inference.h"
#include "passes/pass_manager.h"
#include "passes/pipeline.h"
#include "python/src/bindings.h"
#include "python/src/model_source.h"

namespace py = pybind11;

namespace convopt::python {
namespace {

py::dict compile(const py::object& source, const std::string& outputDir, const std::string& name,
                 const std::string& format, const std::string& triple, const std::string& cpu,
                 const std::vector<std::string>& inputShapes, bool optimize, std::optional<std::string> passes,
                 bool embedWeights, bool allowFallback, const std::string& fallbackLibraryDir,
                 const std::string& winograd, bool ringFusion, int threads, bool measured, int jobs) {
  ir::Model model = loadModelFrom(source);
  codegen::AotResult result;
  {
    py::gil_scoped_release release;
    auto shapes = ir::fixInputShapes(model, inputShapes);
    if (optimize) passes::runPipeline(model, passes ? passes::parsePipeline(*passes) : passes::defaultPipelineNames());
    codegen::AotOptions options{.name = name,
                                .outputDir = outputDir,
                                .format = codegen::artifactFormatNamed(format),
                                .embedWeights = embedWeights,
                                .triple = triple,
                                .cpu = cpu,
                                .flushDenormals = true,
                                .winograd = codegen::winogradUseNamed(winograd),
                                .ringFusion = ringFusion ? codegen::RingFusionUse::Auto : codegen::RingFusionUse::Never,
                                .linker = "",
                                .sourcePath = "",
                                .allowFallback = allowFallback,
                                .fallbackLibraryDir = fallbackLibraryDir,
                                .compileThreads = jobs,
                                .afterPlanningStep = {}};
    if (measured) codegen::takeMeasuredChoices(options, threads);
    result = codegen::compileAheadOfTime(model, shapes, options);
  }
  py::dict info;
  info["triple"] = result.target.triple;
  info["cpu"] = result.target.cpu;
  info["files"] = result.files;
  info["kernels"] = result.kernels;
  info["steps"] = result.steps;
  info["arena_bytes"] = result.arenaBytes;
  info["weights_bytes"] = result.weightsBytes;
  info["code_bytes"] = result.codeBytes;
  info["fallback_nodes"] = result.fallbackNodes;
  info["explanation"] = result.explanation;
  return info;
}

}  // namespace

void bindCompile(py::module_& m) {
  m.def("compile", &compile, py::arg("model"), py::arg("output_dir"), py::arg("name"), py::arg("format"),
        py::arg("target_triple"), py::arg("cpu"), py::arg("input_shapes"), py::arg("optimize"), py::arg("passes"),
        py::arg("embed_weights"), py::arg("allow_fallback"), py::arg("fallback_library_dir"), py::arg("winograd"),
        py::arg("ring_fusion"), py::arg("threads"), py::arg("measured"), py::arg("jobs"));
  m.def("artifact_name_for", &codegen::artifactNameFor, py::arg("model_path"));
}

}  // namespace convopt::python
