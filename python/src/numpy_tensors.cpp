#include "python/src/numpy_tensors.h"

#include <bit>
#include <cstring>
#include <utility>

#include "ir/error.h"

namespace py = pybind11;

namespace convopt::python {
namespace {

struct NumpyType {
  ir::DType dtype;
  char kind;  // NumPy's dtype.kind
  size_t bytes;
};
constexpr NumpyType kTypes[] = {
    {ir::DType::Float, 'f', 4},  {ir::DType::Double, 'f', 8}, {ir::DType::Float16, 'f', 2}, {ir::DType::Int8, 'i', 1},
    {ir::DType::Uint8, 'u', 1},  {ir::DType::Int16, 'i', 2},  {ir::DType::Uint16, 'u', 2},  {ir::DType::Int32, 'i', 4},
    {ir::DType::Uint32, 'u', 4}, {ir::DType::Int64, 'i', 8},  {ir::DType::Uint64, 'u', 8},  {ir::DType::Bool, 'b', 1},
};

ir::DType dtypeOf(const py::dtype& dtype, const std::string& name) {
  bool nativeOrder = dtype.byteorder() != (std::endian::native == std::endian::little ? '>' : '<');
  for (const NumpyType& type : kTypes)
    if (nativeOrder && dtype.kind() == type.kind && size_t(dtype.itemsize()) == type.bytes) return type.dtype;
  throwInputError("input '{}': NumPy dtype {} has no ONNX tensor type convopt runs", name,
                  std::string(py::str(static_cast<const py::handle&>(dtype))));
}

py::dtype numpyDtype(const NumpyType& type) {
  return py::dtype(type.kind == 'b' ? std::string("?") : fmt::format("{}{}", type.kind, type.bytes));
}

}  // namespace

ir::Tensor tensorFromArray(const py::array& source, const std::string& name) {
  ir::DType dtype = dtypeOf(source.dtype(), name);
  py::array array = py::array::ensure(source, py::array::c_style);  // a copy only if strided
  std::vector<int64_t> dims(array.shape(), array.shape() + array.ndim());
  ir::Tensor tensor(dtype, dims);
  if (tensor.byteSize()) std::memcpy(tensor.mutableBytes().data(), array.data(), tensor.byteSize());
  return tensor;
}

py::array arrayFromTensor(ir::Tensor&& source, const std::string& name) {
  for (const NumpyType& type : kTypes) {
    if (type.dtype != source.dtype()) continue;
    auto* tensor = new ir::Tensor(std::move(source));
    py::capsule owner(tensor, [](void* p) { delete static_cast<ir::Tensor*>(p); });
    std::vector<py::ssize_t> shape(tensor->dims().begin(), tensor->dims().end());
    return py::array(numpyDtype(type), shape, tensor->mutableBytes().data(), owner);
  }
  throwInputError("output '{}': its type {} has no NumPy dtype", name, ir::dtypeName(source.dtype()));
}

}  // namespace convopt::python
