#include "ir/dtype.h"

#include <array>
#include <utility>

namespace convopt::ir {
namespace {

struct DTypeInfo {
  DType type;
  std::string_view name;
  size_t size;
};

constexpr std::array<DTypeInfo, 16> kTypes{{
    {DType::Float, "float", 4},
    {DType::Uint8, "uint8", 1},
    {DType::Int8, "int8", 1},
    {DType::Uint16, "uint16", 2},
    {DType::Int16, "int16", 2},
    {DType::Int32, "int32", 4},
    {DType::Int64, "int64", 8},
    {DType::String, "string", 0},
    {DType::Bool, "bool", 1},
    {DType::Float16, "float16", 2},
    {DType::Double, "double", 8},
    {DType::Uint32, "uint32", 4},
    {DType::Uint64, "uint64", 8},
    {DType::Complex64, "complex64", 8},
    {DType::Complex128, "complex128", 16},
    {DType::BFloat16, "bfloat16", 2},
}};

const DTypeInfo* find(DType type) {
  for (const auto& info : kTypes)
    if (info.type == type) return &info;
  return nullptr;
}

}  // namespace

size_t elementSize(DType type) {
  const DTypeInfo* info = find(type);
  return info ? info->size : 0;
}

std::string_view dtypeName(DType type) {
  const DTypeInfo* info = find(type);
  return info ? info->name : std::string_view("undefined");
}

DType dtypeFromName(std::string_view name) {
  for (const auto& info : kTypes)
    if (info.name == name) return info.type;
  return DType::Undefined;
}

}  // namespace convopt::ir
