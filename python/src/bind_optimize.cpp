// convopt._convopt.optimize and .inspect: the CLI's `optimize` (without the
// file writing) and `inspect --json`, on a model given as bytes or a path.
#include <optional>
#include <sstream>

#include <pybind11/stl.h>

#include "ir/atomic_file.h"
#include "ir/error.h"
#include "ir/model_summary.h"
#include "ir/onnx_io.h"
#include "ir/shape_inference.h"
#include "passes/optimize_driver.h"
#include "passes/pipeline.h"
#include "python/src/bindings.h"
#include "python/src/model_source.h"
#include "tools/calibrate/host_cost_model.h"
#include "tools/report/html_report.h"

namespace py = pybind11;

namespace convopt::python {
namespace {

// (optimized model bytes, report JSON text, log text, equivalent)
py::tuple optimize(const py::object& source, std::optional<std::string> passes,
                   const std::vector<std::string>& inputShapes, bool freezeShapes, bool verify, bool verifyLocal,
                   uint64_t seed, double tolerance, std::optional<double> minGain, bool force, const std::string& html,
                   const std::string& profileJson, const std::string& forRuntime, const std::string& costTable,
                   std::optional<double> approx, const std::string& calibration) {
  if (!(tolerance >= 0)) throwInputError("tolerance must be >= 0, not {}", tolerance);  // as the CLI's options
  if (approx && !(*approx >= 0 && *approx <= 1)) throwInputError("approx must be in [0, 1], not {}", *approx);
  ir::checkNotInput(html, {modelPathOf(source), profileJson, costTable});
  ir::Model model = loadModelFrom(source);
  passes::OptimizeRequest request;
  if (passes) request.pipeline = passes::parsePipeline(*passes);
  request.inputShapes = inputShapes;
  request.freezeShapes = freezeShapes;
  request.verify = verify;
  request.verifyLocal = verifyLocal;
  request.equivalence.seed = seed;
  request.equivalence.tolerance = tolerance;
  if (minGain) request.pass.minGain = *minGain;
  request.pass.force = force;
  request.pass.costModel = tools::calibrate::hostCostModel(forRuntime, costTable);
  if (approx) request.approx = passes::approxRequest(*approx, calibration, *model.graph);
  std::ostringstream log;
  passes::OptimizeOutcome outcome;
  std::string bytes;
  {
    py::gil_scoped_release release;
    std::optional<report::OptimizeReport> page;
    if (!html.empty()) page.emplace(model, inputShapes, profileJson, request.pass.costModel);
    outcome = passes::optimizeModel(model, request, log);
    if (outcome.equivalent) bytes = ir::serializeModel(model);
    if (outcome.equivalent && page)
      ir::writeFileAtomically(
          html, page->render("convopt.optimize", "model given", "optimized model", model, outcome.report["rewrites"]));
  }
  return py::make_tuple(py::bytes(bytes), outcome.report.dump(), log.str(), outcome.equivalent);
}

std::string inspect(const py::object& source, const std::vector<std::string>& inputShapes) {
  ir::Model model = loadModelFrom(source);
  py::gil_scoped_release release;
  for (const std::string& spec : inputShapes) ir::applyInputShape(model, spec);
  ir::inferShapes(model);
  return ir::summaryToJson(ir::summarizeModel(model)).dump();
}

}  // namespace

void bindOptimize(py::module_& m) {
  m.def("optimize", &optimize, py::arg("model"), py::arg("passes"), py::arg("input_shapes"), py::arg("freeze_shapes"),
        py::arg("verify"), py::arg("verify_local"), py::arg("seed"), py::arg("tolerance"), py::arg("min_gain"),
        py::arg("force"), py::arg("html"), py::arg("profile_json"), py::arg("for_runtime"), py::arg("cost_table"),
        py::arg("approx"), py::arg("calibration"));
  m.def("inspect", &inspect, py::arg("model"), py::arg("input_shapes"));
  m.def("default_pipeline", [] { return passes::defaultPipelineNames(); });
}

}  // namespace convopt::python
