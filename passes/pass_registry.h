// The registry of named passes, generated from pass_registry.def.
#pragma once
#include <memory>
#include <string_view>
#include <vector>

#include "passes/pass.h"

namespace convopt::passes {

#define CONVOPT_PASS(NAME, FACTORY, DESCRIPTION) std::unique_ptr<Pass> FACTORY();
#include "passes/pass_registry.def"
#undef CONVOPT_PASS

struct PassInfo {
  std::string_view name;
  std::string_view description;
  std::unique_ptr<Pass> (*create)();
};

const std::vector<PassInfo>& registeredPasses();
// Throws InputError naming the unknown pass and listing the known ones.
std::unique_ptr<Pass> createPass(std::string_view name);

}  // namespace convopt::passes
