// The parts of the _convopt extension module, one file each.
#pragma once
#include <pybind11/pybind11.h>

namespace convopt::python {

void bindOptimize(pybind11::module_& m);  // optimize, inspect, default_pipeline
void bindSession(pybind11::module_& m);   // Session
void bindCompile(pybind11::module_& m);   // compile, artifact_name_for

}  // namespace convopt::python
