// Tensors on disk: ONNX TensorProto files (.pb, the backend-test layout) and
// NumPy .npy files (read only).
#pragma once
#include <filesystem>
#include <vector>

#include "ir/tensor.h"

namespace convopt::runtime {

// Reads a .pb TensorProto or a .npy array (chosen by extension). The tensor's
// name is the proto's name (empty for .npy). InputError naming the file if it
// is unreadable or malformed.
ir::Tensor loadTensorFile(const std::filesystem::path& path);

// Writes a TensorProto (with `tensor.name`) atomically: temp file + rename.
void saveTensorFile(const ir::Tensor& tensor, const std::filesystem::path& path);

// An ONNX backend-test data set folder: input_0.pb, input_1.pb, ... and
// output_0.pb, ... in index order.
struct TestDataSet {
  std::vector<ir::Tensor> inputs;
  std::vector<ir::Tensor> outputs;
};
TestDataSet loadTestDataSet(const std::filesystem::path& dir);

}  // namespace convopt::runtime
