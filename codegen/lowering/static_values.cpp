#include "codegen/lowering/static_values.h"

namespace convopt::codegen {

bool isStaticFloat(const ir::Value* value) {
  return value && value->type.dtype == ir::DType::Float && value->type.hasStaticShape();
}

bool isStatic4dFloat(const ir::Value* value) { return isStaticFloat(value) && value->type.shape->size() == 4; }

bool broadcastsTo(const std::vector<int64_t>& dims, const std::vector<int64_t>& target) {
  if (dims.size() > target.size()) return false;
  for (size_t i = 1; i <= dims.size(); ++i)
    if (dims[dims.size() - i] != 1 && dims[dims.size() - i] != target[target.size() - i]) return false;
  return true;
}

}  // namespace convopt::codegen
