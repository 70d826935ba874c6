// A node compiled without a kernel, as libconvopt_fallback loads it
// (fallback/convopt_fallback.h): a one-node ONNX model whose constant inputs
// are initializers, whose other inputs are graph inputs of fixed shape (the
// buffers the artifact passes, in `inputs` order) and whose outputs are its
// node's outputs.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace convopt::codegen {

struct FallbackModel {
  std::string bytes;                      // a serialized onnx::ModelProto
  std::vector<const ir::Value*> inputs;   // the non-constant inputs, each once
  std::vector<const ir::Value*> outputs;  // the node's outputs
};

// "com.example::Mystery", or "Conv" for the default domain.
std::string qualifiedOp(const ir::Node& node);

// Why `node` cannot run alone in the fallback library ("" if it can): no
// reference implementation, outer-scope values read by its subgraphs, or a
// value not constant (`constantOf` null) whose shape is only known at run
// time or whose type is not numeric.
std::string fallbackRefusal(const ir::Node& node, const std::function<const ir::Tensor*(const ir::Value*)>& constantOf);

// Throws InputError naming the node when it cannot run alone in the
// fallback library (fallbackRefusal).
FallbackModel makeFallbackModel(const ir::Model& model, const ir::Node& node,
                                const std::function<const ir::Tensor*(const ir::Value*)>& constantOf);

}  // namespace convopt::codegen
