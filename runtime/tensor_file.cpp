#include "runtime/tensor_file.h"

#include <cstring>
#include <regex>

#include <onnx/onnx_pb.h>

#include "ir/atomic_file.h"
#include "ir/error.h"
#include "ir/read_file.h"
#include "ir/tensor_proto.h"

namespace convopt::runtime {
namespace {

namespace fs = std::filesystem;

ir::DType npyType(const std::string& descr, const fs::path& path) {
  static const std::pair<const char*, ir::DType> kTypes[] = {
      {"<f4", ir::DType::Float},  {"<f8", ir::DType::Double}, {"<i8", ir::DType::Int64}, {"<i4", ir::DType::Int32},
      {"<i2", ir::DType::Int16},  {"|i1", ir::DType::Int8},   {"|u1", ir::DType::Uint8}, {"|b1", ir::DType::Bool},
      {"<u2", ir::DType::Uint16}, {"<u4", ir::DType::Uint32}, {"<u8", ir::DType::Uint64}};
  for (auto [name, type] : kTypes)
    if (descr == name) return type;
  throwInputError("{}: .npy element type '{}' is not supported", path.string(), descr);
}

// NumPy format 1.0-3.0: magic, version, header length, a Python dict literal.
ir::Tensor parseNpy(const std::string& bytes, const fs::path& path) {
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) throwInputError("{}: not a .npy file", path.string());
  const bool v1 = bytes[6] == 1;
  const size_t lenBytes = v1 ? 2 : 4, start = 8 + lenBytes;
  size_t headerLen = 0;
  for (size_t i = 0; i < lenBytes; ++i) headerLen |= size_t(uint8_t(bytes[8 + i])) << (8 * i);
  if (bytes.size() < start + headerLen) throwInputError("{}: truncated .npy header", path.string());
  std::string header = bytes.substr(start, headerLen);
  std::smatch descr, fortran, shape;
  if (!std::regex_search(header, descr, std::regex("'descr':\\s*'([^']*)'")) ||
      !std::regex_search(header, shape, std::regex("'shape':\\s*\\(([^)]*)\\)")))
    throwInputError("{}: malformed .npy header", path.string());
  if (std::regex_search(header, fortran, std::regex("'fortran_order':\\s*True")))
    throwInputError("{}: Fortran-order .npy arrays are not supported", path.string());
  std::vector<int64_t> dims;
  std::string dimList = shape[1];
  const std::regex number("\\d+");
  for (std::sregex_iterator it(dimList.begin(), dimList.end(), number), end; it != end; ++it)
    dims.push_back(std::stoll(it->str()));
  ir::Tensor t(npyType(descr[1], path), dims);
  if (bytes.size() - start - headerLen != t.byteSize())
    throwInputError("{}: .npy data has {} bytes, shape needs {}", path.string(), bytes.size() - start - headerLen,
                    t.byteSize());
  std::memcpy(t.mutableBytes().data(), bytes.data() + start + headerLen, t.byteSize());
  return t;
}

}  // namespace

ir::Tensor loadTensorFile(const fs::path& path) {
  std::string bytes = ir::readFile(path);
  if (path.extension() == ".npy") return parseNpy(bytes, path);
  onnx::TensorProto proto;
  if (bytes.empty() || !proto.ParseFromString(bytes)) throwInputError("{}: not a TensorProto file", path.string());
  try {
    return ir::tensorFromProto(proto, path.parent_path());
  } catch (const InputError& e) {
    throw InputError(path.string() + ": " + e.what());
  }
}

void saveTensorFile(const ir::Tensor& tensor, const fs::path& path) {
  onnx::TensorProto proto;
  ir::tensorToProto(tensor, proto);
  ir::writeFileAtomically(path, proto.SerializeAsString());
}

TestDataSet loadTestDataSet(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throwInputError("{}: not a directory", dir.string());
  TestDataSet set;
  for (auto [prefix, list] : {std::pair{"input_", &set.inputs}, std::pair{"output_", &set.outputs}})
    for (size_t i = 0;; ++i) {
      fs::path file = dir / fmt::format("{}{}.pb", prefix, i);
      if (!fs::exists(file, ec)) break;
      list->push_back(loadTensorFile(file));
    }
  if (set.outputs.empty()) throwInputError("{}: no output_0.pb", dir.string());
  return set;
}

std::map<std::string, ir::Tensor> bindInputs(const std::vector<ir::Tensor>& tensors, const ir::Graph& graph,
                                             const std::string& source) {
  // A tensor named after a graph input binds to it, an initializer input too
  // (an override, which the engine judges); the others take the inputs that
  // are not initializers and not named, in order.
  std::map<std::string, ir::Tensor> inputs;
  std::vector<const ir::Tensor*> unnamed;
  for (const ir::Tensor& tensor : tensors) {
    const ir::Value* named = graph.findValue(tensor.name);
    if (named && named->isGraphInput())
      inputs[tensor.name] = tensor;
    else
      unnamed.push_back(&tensor);
  }
  size_t declared = 0, next = 0;
  for (const ir::Value* v : graph.inputs()) {
    if (v->isInitializer()) continue;
    ++declared;
    if (!inputs.count(v->name()) && next < unnamed.size()) inputs[v->name()] = *unnamed[next++];
  }
  if (next < unnamed.size()) throwInputError("{} has {} inputs, the model takes {}", source, tensors.size(), declared);
  return inputs;
}

std::map<std::string, ir::Tensor> loadInputFolder(const fs::path& dir, const ir::Graph& graph) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throwInputError("{}: not a directory", dir.string());
  std::vector<ir::Tensor> dataSet;
  for (size_t i = 0; fs::exists(dir / fmt::format("input_{}.pb", i), ec); ++i)
    dataSet.push_back(loadTensorFile(dir / fmt::format("input_{}.pb", i)));
  if (!dataSet.empty()) return bindInputs(dataSet, graph, dir.string());
  std::map<std::string, ir::Tensor> inputs;
  for (const ir::Value* v : graph.inputs()) {
    fs::path file = dir / (v->name() + ".npy");
    if (!v->isInitializer() && fs::exists(file, ec)) inputs[v->name()] = loadTensorFile(file);
  }
  if (inputs.empty())
    throwInputError("{}: holds neither input_0.pb (an ONNX test data set) nor NAME.npy for an input", dir.string());
  return inputs;
}

}  // namespace convopt::runtime
