// Tiny models with one float initializer 'w' (also the graph output), for the
// tests of initializer import: valid or broken as the arguments make them.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

namespace convopt::testing {

// The model with 'w' of the given dims and no data yet.
onnx::ModelProto singleInitializerModel(const std::vector<int64_t>& dims);
// 'w' is float[4], stored as external data at `location`, `offset`, `length`.
std::string externalDataModelBytes(const std::string& location, int64_t offset, int64_t length);

}  // namespace convopt::testing
