// A whole file read into memory in one call (an istreambuf_iterator loop took
// 5% of a warm `convopt run` of a 20 MB model).
#pragma once
#include <filesystem>
#include <string>

namespace convopt::ir {

// InputError "PATH: no such file" / "PATH: cannot read the file".
std::string readFile(const std::filesystem::path& path);

}  // namespace convopt::ir
