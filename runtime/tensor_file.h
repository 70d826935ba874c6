// Tensors on disk: ONNX TensorProto files (.pb, the backend-test layout) and
// NumPy .npy files (read only).
#pragma once
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "ir/graph.h"
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

// A data set's input tensors bound to `graph`'s inputs: by the tensor's name
// when it names one (an initializer input too: an override, which the engine
// judges), else by position among the inputs that are not initializers.
// InputError (naming `source`) for an unnamed tensor past those.
std::map<std::string, ir::Tensor> bindInputs(const std::vector<ir::Tensor>& tensors, const ir::Graph& graph,
                                             const std::string& source);

// The inputs in `dir`: an ONNX test data set's input_N.pb files (bindInputs),
// or else NAME.npy files, one per input. InputError naming the folder or file.
std::map<std::string, ir::Tensor> loadInputFolder(const std::filesystem::path& dir, const ir::Graph& graph);

}  // namespace convopt::runtime
