#include "ir/tensor_proto.h"

#include <charconv>
#include <fstream>

#include <onnx/onnx_pb.h>

#include "ir/error.h"

namespace convopt::ir {
namespace {

namespace fs = std::filesystem;

template <typename T, typename Field>
std::vector<uint8_t> packAs(const Field& field) {
  std::vector<uint8_t> bytes(field.size() * sizeof(T));
  T* out = reinterpret_cast<T*>(bytes.data());
  for (int i = 0; i < field.size(); ++i) out[i] = static_cast<T>(field.Get(i));
  return bytes;
}

// Typed-field storage as ONNX defines it: narrow ints, bool and 16-bit floats
// live in int32_data; uint32/uint64 in uint64_data; complex as float pairs.
std::vector<uint8_t> typedFieldBytes(const onnx::TensorProto& p, DType dtype) {
  switch (dtype) {
    case DType::Float:
      return packAs<float>(p.float_data());
    case DType::Complex64:
      return packAs<float>(p.float_data());
    case DType::Double:
      return packAs<double>(p.double_data());
    case DType::Complex128:
      return packAs<double>(p.double_data());
    case DType::Int64:
      return packAs<int64_t>(p.int64_data());
    case DType::Int32:
      return packAs<int32_t>(p.int32_data());
    case DType::Int16:
      return packAs<int16_t>(p.int32_data());
    case DType::Int8:
      return packAs<int8_t>(p.int32_data());
    case DType::Uint16:
      return packAs<uint16_t>(p.int32_data());
    case DType::Float16:
      return packAs<uint16_t>(p.int32_data());
    case DType::BFloat16:
      return packAs<uint16_t>(p.int32_data());
    case DType::Uint8:
      return packAs<uint8_t>(p.int32_data());
    case DType::Bool:
      return packAs<uint8_t>(p.int32_data());
    case DType::Uint32:
      return packAs<uint32_t>(p.uint64_data());
    case DType::Uint64:
      return packAs<uint64_t>(p.uint64_data());
    default:
      throwInputError("tensor '{}': unsupported data type {}", p.name(), static_cast<int>(dtype));
  }
}

int64_t parseExternalNumber(const onnx::TensorProto& p, const std::string& key, const std::string& text) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size())
    throwInputError("tensor '{}': external data {} '{}' is not a number", p.name(), key, text);
  return value;
}

std::vector<uint8_t> readExternalData(const onnx::TensorProto& p, const fs::path& baseDir) {
  std::string location;
  int64_t offset = 0, length = -1;
  for (const auto& entry : p.external_data()) {
    if (entry.key() == "location") location = entry.value();
    if (entry.key() == "offset") offset = parseExternalNumber(p, "offset", entry.value());
    if (entry.key() == "length") length = parseExternalNumber(p, "length", entry.value());
  }
  if (location.empty()) throwInputError("tensor '{}': external data without a location", p.name());
  fs::path relative(location);
  fs::path base = fs::weakly_canonical(baseDir.empty() ? fs::current_path() : baseDir);
  fs::path file = fs::weakly_canonical(base / relative);
  auto [baseEnd, fileIt] = std::mismatch(base.begin(), base.end(), file.begin(), file.end());
  if (relative.is_absolute() || baseEnd != base.end())
    throwInputError("tensor '{}': external data location '{}' is outside the model's folder", p.name(), location);
  // A FIFO or device would block or never end: only regular files hold tensors.
  std::error_code ec;
  fs::file_status status = fs::status(file, ec);
  if (ec || !fs::exists(status))
    throwInputError("tensor '{}': external data file '{}' does not exist", p.name(), location);
  if (!fs::is_regular_file(status))
    throwInputError("tensor '{}': external data location '{}' is not a regular file", p.name(), location);
  auto fileSize = static_cast<int64_t>(fs::file_size(file, ec));
  if (ec) throwInputError("tensor '{}': cannot read external data file '{}'", p.name(), location);
  if (length < 0) length = fileSize - offset;
  if (offset < 0 || length < 0 || offset > fileSize || length > fileSize - offset)
    throwInputError("tensor '{}': external data (offset {}, length {}) runs past the end of '{}' ({} bytes)", p.name(),
                    offset, length, location, fileSize);
  std::vector<uint8_t> bytes(length);
  std::ifstream in(file, std::ios::binary);
  in.seekg(offset);
  in.read(reinterpret_cast<char*>(bytes.data()), length);
  if (!in) throwInputError("tensor '{}': reading external data from '{}' failed", p.name(), location);
  return bytes;
}

}  // namespace

Tensor tensorFromProto(const onnx::TensorProto& p, const fs::path& baseDir) {
  auto dtype = static_cast<DType>(p.data_type());
  std::vector<int64_t> dims(p.dims().begin(), p.dims().end());
  std::string what = "tensor '" + p.name() + "'";
  int64_t count = checkedElementCount(dims, what);
  Tensor t;
  t.name = p.name();
  t.docString = p.doc_string();
  if (dtype == DType::String) {
    t = Tensor(dtype, dims);
    t.name = p.name();
    t.docString = p.doc_string();
    if (p.string_data_size() != count)
      throwInputError("{}: has {} strings but its shape holds {}", what, p.string_data_size(), count);
    for (int i = 0; i < p.string_data_size(); ++i) t.strings()[i] = p.string_data(i);
    return t;
  }
  size_t elem = elementSize(dtype);
  if (elem == 0) throwInputError("{}: unsupported data type {}", what, p.data_type());
  std::vector<uint8_t> bytes;
  if (p.data_location() == onnx::TensorProto::EXTERNAL)
    bytes = readExternalData(p, baseDir);
  else if (p.has_raw_data())
    bytes.assign(p.raw_data().begin(), p.raw_data().end());
  else
    bytes = typedFieldBytes(p, dtype);
  if (static_cast<uint64_t>(count) > SIZE_MAX / elem || bytes.size() != static_cast<size_t>(count) * elem)
    throwInputError("{}: data holds {} bytes but shape [{}] of {} needs {}", what, bytes.size(), fmt::join(dims, ","),
                    dtypeName(dtype), static_cast<unsigned long long>(count) * elem);
  t.assign(dtype, std::move(dims), std::move(bytes));
  return t;
}

void tensorToProto(const Tensor& t, onnx::TensorProto& p) {
  p.set_name(t.name);
  if (!t.docString.empty()) p.set_doc_string(t.docString);
  p.set_data_type(static_cast<int32_t>(t.dtype()));
  for (int64_t d : t.dims()) p.add_dims(d);
  if (t.dtype() == DType::String) {
    for (const std::string& s : t.strings()) p.add_string_data(s);
    return;
  }
  p.set_raw_data(t.bytes().data(), t.bytes().size());
}

}  // namespace convopt::ir
