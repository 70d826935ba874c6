#include "tools/winograd_option.h"

namespace convopt::tools {

void addWinogradOption(CLI::App* command, std::string& mode) {
  mode = "auto";
  command
      ->add_option("--winograd", mode,
                   "3x3 stride-1 convs in the Winograd domain: auto (where the estimate says it pays), off, f2 or f4 "
                   "(F(2x2,3x3) / F(4x4,3x3) wherever legal)")
      ->check(CLI::IsMember({"auto", "off", "f2", "f4"}))
      ->capture_default_str();
  command->add_flag_callback(
      "--no-winograd", [&mode] { mode = "off"; }, "Same as --winograd off: direct convolution only");
}

}  // namespace convopt::tools
