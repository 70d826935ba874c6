#include "tests/support/ir_temp_dir.h"

#include <cstdlib>
#include <stdexcept>
#include <string>

namespace convopt::testing {

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "convopt-test-XXXXXX").string();
  if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace convopt::testing
