#include "ir/read_file.h"

#include <fstream>
#include <sstream>

#include "ir/error.h"

namespace convopt::ir {

std::string readFile(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throwInputError("{}: no such file", path.string());
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  std::streamoff size = in ? std::streamoff(in.tellg()) : -1;
  std::string bytes(size > 0 ? size_t(size) : 0, '\0');
  if (size < 0 || !in.seekg(0) || !in.read(bytes.data(), std::streamsize(bytes.size())))
    throwInputError("{}: cannot read the file", path.string());
  // A file longer than its size said (one that grew, or /proc's size 0): the rest too.
  if (in.peek() != std::ifstream::traits_type::eof()) {
    std::ostringstream rest;
    rest << in.rdbuf();
    bytes += rest.str();
  }
  return bytes;
}

}  // namespace convopt::ir
