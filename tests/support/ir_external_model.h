// A tiny model whose one float[4] initializer 'w' (also the graph output) is
// stored as external data at `location`, `offset`, `length`: the input of the
// external-data tests, valid or broken as the arguments make it.
#pragma once
#include <cstdint>
#include <string>

namespace convopt::testing {

std::string externalDataModelBytes(const std::string& location, int64_t offset, int64_t length);

}  // namespace convopt::testing
