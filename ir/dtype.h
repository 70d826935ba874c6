// Element types. The numeric values are ONNX's TensorProto.DataType so that
// import/export is a cast, and unknown future types survive as plain numbers.
#pragma once
#include <cstdint>
#include <string_view>

namespace convopt::ir {

enum class DType : int32_t {
  Undefined = 0,
  Float = 1,
  Uint8 = 2,
  Int8 = 3,
  Uint16 = 4,
  Int16 = 5,
  Int32 = 6,
  Int64 = 7,
  String = 8,
  Bool = 9,
  Float16 = 10,
  Double = 11,
  Uint32 = 12,
  Uint64 = 13,
  Complex64 = 14,
  Complex128 = 15,
  BFloat16 = 16,
};

// Bytes per element; 0 for String and for types this build does not know.
size_t elementSize(DType type);
// ONNX text-syntax name ("float", "int64", ...); "dtype<N>" for unknown types.
std::string_view dtypeName(DType type);
// Inverse of dtypeName for the names ONNX's text syntax uses; Undefined if unknown.
DType dtypeFromName(std::string_view name);

}  // namespace convopt::ir
