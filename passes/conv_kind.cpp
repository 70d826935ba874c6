#include "passes/conv_kind.h"

namespace convopt::passes {

ConvKind classifyConv(int64_t inChannels, int64_t group, int64_t kernelElements) {
  if (group > 1 && group == inChannels) return ConvKind::Depthwise;
  if (group > 1) return ConvKind::Grouped;
  return kernelElements == 1 ? ConvKind::Dense1x1 : ConvKind::DenseKxK;
}

std::string_view convKindName(ConvKind kind) {
  switch (kind) {
    case ConvKind::Dense1x1: return "dense1x1";
    case ConvKind::DenseKxK: return "densekxk";
    case ConvKind::Grouped: return "grouped";
    case ConvKind::Depthwise: return "depthwise";
  }
  return "?";
}

}  // namespace convopt::passes
