// How much memory one tensor, or a compiled engine's arena, may claim. A model
// declares its sizes, and a few bytes of ONNX can declare terabytes
// (ConstantOfShape of [1e12], an input of 100000 x 100000): going over the
// limit is an InputError naming the tensor, raised before anything is
// allocated. Process-wide, as it describes the machine and the user's budget
// (the CLI's --max-memory), not a model.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "ir/graph.h"

namespace convopt::ir {

// Default: half of the machine's physical memory.
uint64_t memoryLimit();
void setMemoryLimit(uint64_t bytes);  // 0 restores the default

// "4G", "512M", "1.5GiB", "64k", "1048576" (bytes) -> bytes; InputError otherwise.
uint64_t parseByteSize(std::string_view text);
std::string formatBytes(uint64_t bytes);  // "1.5 GiB"

// InputError "WHAT needs N, over the memory limit of L" when bytes > memoryLimit().
void checkAllocation(uint64_t bytes, const std::string& what);
// The bytes of a tensor of `type`, saturating at UINT64_MAX; 0 unless its shape is static.
uint64_t staticByteSize(const ValueType& type);
// A tensor of `type` fits the limit (checkAllocation naming it "KIND 'NAME' ([2x3] float)");
// types without a static shape pass.
void checkTensorSize(std::string_view kind, const std::string& name, const ValueType& type);
// Every value of `graph` whose shape is static fits the limit (checkAllocation
// naming the value and its shape).
void checkDeclaredSizes(const Graph& graph);

}  // namespace convopt::ir
