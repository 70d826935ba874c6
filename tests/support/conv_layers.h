// One conv layer, its attributes by name, and the table of representative
// layers (conv_layers.cpp) that both the kernel tests (each layer against the
// reference, tests/codegen/conv_kernel_test.cpp) and the kernel benchmarks
// (each layer by its family's bench/<family>_bench) iterate. Tests write their
// edge cases the same way:
//   Layer{.family = "dense", .in = 3, .out = 16, .height = 11, .kernel = 3, .stride = 2, .pads = {1, 1, 1, 1}}
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "codegen/conv/conv_spec.h"

namespace convopt::layers {

// Every field has a default (`{}` too), so a designated initializer may leave
// any out without GCC's -Wmissing-field-initializers.
struct Layer {
  std::string name{};                                       // the benchmark's name (BENCHMARKS.md quotes them)
  std::string family{};                                     // the conv family expected to take it (ConvPlan::family)
  int64_t in = 0, out = 0;                                  // channels
  int64_t height = 0, width = 0;                            // of the input; width 0: as wide as high
  int64_t kernel = 1, stride = 1, dilation = 1, group = 1;  // square kernels
  std::array<int64_t, 4> pads{};                            // top, left, bottom, right (ONNX order)
  codegen::Epilogue epilogue{};
};

codegen::ConvSpec specOf(const Layer& layer);  // batch 1

const std::vector<Layer>& layerTable();

}  // namespace convopt::layers
