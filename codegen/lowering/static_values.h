// What generated kernels accept, asked of a value by the lowering and by the
// fusion decisions made for it.
#pragma once
#include <cstdint>
#include <vector>

#include "ir/graph.h"

namespace convopt::codegen {

// A 4-D float value with a static shape: what blocked-layout kernels accept.
bool isStatic4dFloat(const ir::Value* value);
// A float value of any rank with a static shape: what plain-layout kernels accept.
bool isStaticFloat(const ir::Value* value);
// Whether `dims`, right-aligned to `target`'s rank, broadcasts to `target` without growing it.
bool broadcastsTo(const std::vector<int64_t>& dims, const std::vector<int64_t>& target);

}  // namespace convopt::codegen
