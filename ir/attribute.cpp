#include "ir/attribute.h"

namespace convopt::ir {

Attribute Attribute::makeInt(std::string name, int64_t value) {
  Attribute a;
  a.name = std::move(name);
  a.kind = AttrKind::Int;
  a.i = value;
  return a;
}

Attribute Attribute::makeInts(std::string name, std::vector<int64_t> values) {
  Attribute a;
  a.name = std::move(name);
  a.kind = AttrKind::Ints;
  a.ints = std::move(values);
  return a;
}

Attribute Attribute::makeFloat(std::string name, float value) {
  Attribute a;
  a.name = std::move(name);
  a.kind = AttrKind::Float;
  a.f = value;
  return a;
}

Attribute Attribute::makeString(std::string name, std::string value) {
  Attribute a;
  a.name = std::move(name);
  a.kind = AttrKind::String;
  a.s = std::move(value);
  return a;
}

Attribute Attribute::makeTensor(std::string name, Tensor value) {
  Attribute a;
  a.name = std::move(name);
  a.kind = AttrKind::Tensor;
  a.t = std::move(value);
  return a;
}

}  // namespace convopt::ir
