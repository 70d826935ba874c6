// _convopt: the C++ half of the `convopt` Python package (python/convopt/
// wraps it). convopt::InputError becomes convopt.InputError (a ValueError),
// with the CLI's message; other errors are RuntimeErrors.
#include <optional>

#include <pybind11/stl.h>

#include "ir/error.h"
#include "ir/memory_limit.h"
#include "python/src/bindings.h"
#include "runtime/core_round_trip.h"

namespace py = pybind11;

PYBIND11_MODULE(_convopt, m) {
  m.doc() = "convopt's C++ core; use the convopt package";
  py::register_exception<convopt::InputError>(m, "InputError", PyExc_ValueError);
  m.def(
      "set_max_memory",
      [](std::optional<std::string> size) {
        convopt::ir::setMemoryLimit(size ? convopt::ir::parseByteSize(*size) : 0);
      },
      py::arg("size"));
  m.def("core_round_trip_ns", [] {
    py::gil_scoped_release release;
    return convopt::runtime::measureCoreRoundTripNs();
  });
  m.attr("__version__") = CONVOPT_VERSION;
  convopt::python::bindOptimize(m);
  convopt::python::bindSession(m);
  convopt::python::bindCompile(m);
}
