#include "passes/pass_registry.h"

#include <fmt/format.h>

#include "ir/error.h"

namespace convopt::passes {

const std::vector<PassInfo>& registeredPasses() {
  static const std::vector<PassInfo> passes = {
#define CONVOPT_PASS(NAME, FACTORY, DESCRIPTION) {NAME, DESCRIPTION, &FACTORY},
#include "passes/pass_registry.def"
#undef CONVOPT_PASS
  };
  return passes;
}

std::unique_ptr<Pass> createPass(std::string_view name) {
  std::vector<std::string_view> known;
  for (const PassInfo& info : registeredPasses()) {
    if (info.name == name) return info.create();
    known.push_back(info.name);
  }
  throwInputError("unknown pass '{}' (known passes: {})", name, fmt::join(known, ", "));
}

}  // namespace convopt::passes
