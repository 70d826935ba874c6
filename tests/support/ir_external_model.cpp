#include "tests/support/ir_external_model.h"

namespace convopt::testing {

onnx::ModelProto singleInitializerModel(const std::vector<int64_t>& dims) {
  onnx::ModelProto proto;
  proto.set_ir_version(8);
  proto.add_opset_import()->set_version(13);
  auto* g = proto.mutable_graph();
  g->set_name("g");
  auto* t = g->add_initializer();
  t->set_name("w");
  t->set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims) t->add_dims(d);
  g->add_output()->set_name("w");
  return proto;
}

std::string externalDataModelBytes(const std::string& location, int64_t offset, int64_t length) {
  onnx::ModelProto proto = singleInitializerModel({4});
  auto* t = proto.mutable_graph()->mutable_initializer(0);
  t->set_data_location(onnx::TensorProto::EXTERNAL);
  for (const auto& [key, value] : {std::pair<std::string, std::string>{"location", location},
                                   {"offset", std::to_string(offset)},
                                   {"length", std::to_string(length)}}) {
    auto* e = t->add_external_data();
    e->set_key(key);
    e->set_value(value);
  }
  return proto.SerializeAsString();
}

}  // namespace convopt::testing
