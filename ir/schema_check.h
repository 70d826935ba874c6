// Node checks against the ONNX schemas, before libonnx's shape inference runs
// on a model: libonnx trusts its input, and a node that breaks its op's
// schema (a Scan without its body, an attribute of the wrong type) or a
// window attribute that is zero (a Conv stride of 0: a division inside
// libonnx) kills the process there. Ops without a schema at the model's
// opset (other domains, newer opsets) are left to the project's own rules.
#pragma once
#include <onnx/onnx_pb.h>

namespace convopt::ir {

// Throws InputError naming the first node (subgraphs included) that its
// schema rejects or whose strides / dilations / kernel_shape / group are not
// positive.
void checkNodesAgainstSchemas(const onnx::ModelProto& model);

}  // namespace convopt::ir
