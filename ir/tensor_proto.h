// TensorProto <-> Tensor conversion, including external data.
#pragma once
#include <filesystem>

#include "ir/tensor.h"

namespace onnx {
class TensorProto;
}

namespace convopt::ir {

// `baseDir` resolves external data; a location that leaves it, or an
// offset/length past the end of the file, is an InputError.
Tensor tensorFromProto(const onnx::TensorProto& proto, const std::filesystem::path& baseDir);
// Always writes raw_data (strings into string_data).
void tensorToProto(const Tensor& tensor, onnx::TensorProto& proto);

}  // namespace convopt::ir
