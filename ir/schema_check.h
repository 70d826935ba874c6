// Node checks against the ONNX schemas, before libonnx's shape inference runs
// on a model: libonnx trusts its input, and a node that breaks its op's
// schema (a Scan without its body, an attribute of the wrong type) or a
// window attribute that is zero (a Conv stride of 0: a division inside
// libonnx) kills the process there. Ops without a schema (other domains) are
// left to the project's own rules.
#pragma once
#include <onnx/defs/schema.h>
#include <onnx/onnx_pb.h>

namespace convopt::ir {

// Throws InputError naming the first node (subgraphs included) that
//   - its schema rejects (structure, attributes),
//   - has an input of a type its schema's constraint does not allow, or inputs
//     of one homogeneous constraint of different types (what onnxruntime checks
//     at load),
//   - has strides / dilations / kernel_shape / group that are not positive, or
//   - (a conv or pooling) has data and weights whose declared ranks are below 3
//     or differ.
// The schema checks apply at opsets libonnx knows (up to 17 for libonnx 1.12).
// Returns false when libonnx must not run on the model: a node of a newer
// opset breaks the newest schema libonnx has (its structure or input types),
// which libonnx would apply anyway (the node may be valid at its own opset).
// The types checked include those inference found so far, so a pass that
// creates a mistyped node fails here too.
bool checkNodesAgainstSchemas(const onnx::ModelProto& model);

// The schema registry to run libonnx's inference with. Its conv and pooling
// schemas first apply the rank condition above to the ranks libonnx infers
// during the pass itself (a Pad's output feeding a Conv), which no declared
// type shows beforehand; a node that fails it is left uninferred, and the
// project's rules or the next check name it.
const onnx::ISchemaRegistry& guardedSchemaRegistry();

}  // namespace convopt::ir
