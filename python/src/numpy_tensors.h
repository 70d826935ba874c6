// NumPy arrays <-> ir::Tensor. An input is copied once into the tensor the
// engine reads (C order, its own dtype: no conversion); an output tensor's
// buffer becomes the NumPy array's without a copy.
#pragma once
#include <string>

#include <pybind11/numpy.h>

#include "ir/tensor.h"

namespace convopt::python {

// InputError naming `name` for an object array or a dtype ONNX has no type for.
ir::Tensor tensorFromArray(const pybind11::array& array, const std::string& name);
// InputError naming `name` for a type NumPy has no dtype for (strings).
pybind11::array arrayFromTensor(ir::Tensor&& tensor, const std::string& name);

}  // namespace convopt::python
