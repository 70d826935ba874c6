#include "codegen/lowering/spatial_1d_as_2d.h"

#include <set>
#include <string_view>

namespace convopt::codegen {
namespace {

bool isStaticRank3(const ir::Value* v) { return v && v->type.hasStaticShape() && v->type.shape->size() == 3; }

bool liftable(const ir::Node& node) {
  static const std::set<std::string> ops = {"Conv",        "ConvTranspose",     "MaxPool",
                                            "AveragePool", "GlobalAveragePool", "GlobalMaxPool"};
  if (!node.domain.empty() || !ops.count(node.opType) || node.outputs().size() != 1) return false;
  if (!isStaticRank3(node.input(0)) || !isStaticRank3(node.output(0))) return false;
  if (node.opType != "Conv" && node.opType != "ConvTranspose") return true;
  const ir::Value* weight = node.input(1);
  return weight && weight->initializer() && weight->initializer()->rank() == 3;  // the engines compile initializers in
}

// A window attribute over one spatial axis, widened to (height 1, width).
void widenAttribute(ir::Node& node, const char* name) {
  const ir::Attribute* a = node.findAttribute(name);
  if (!a || a->kind != ir::AttrKind::Ints) return;
  std::vector<int64_t> v = a->ints;
  if (std::string_view(name) == "pads" && v.size() == 2)
    v = {0, v[0], 0, v[1]};
  else if (std::string_view(name) == "output_padding" && v.size() == 1)
    v = {0, v[0]};
  else if (v.size() == 1)
    v = {1, v[0]};  // kernel_shape, strides, dilations, output_shape
  node.setAttribute(ir::Attribute::makeInts(name, v));
}

// A Reshape node of `value` (set later when null) to `dims`, its output named `name`.
ir::Node* reshapeNode(ir::Graph& graph, ir::Value* value, const std::vector<int64_t>& dims, const std::string& name,
                      ir::DType dtype) {
  ir::Tensor shape = ir::Tensor::fromVector<int64_t>(ir::DType::Int64, {int64_t(dims.size())}, dims);
  shape.name = graph.uniqueName(name + "_shape");
  ir::Value* shapeValue = graph.addInitializer(std::move(shape));
  ir::Node* reshape = graph.createNode("Reshape", {value, shapeValue}, {name});
  reshape->output(0)->type = ir::ValueType::tensor(dtype, dims);
  return reshape;
}

void lift(ir::Graph& graph, ir::Node& node) {
  ir::Value* x = node.input(0);
  std::vector<int64_t> in = x->type.staticShape();
  node.setInput(
      0,
      reshapeNode(graph, x, {in[0], in[1], 1, in[2]}, graph.uniqueName(x->name() + "_2d"), x->type.dtype)->output(0));
  if (node.opType == "Conv" || node.opType == "ConvTranspose") {
    ir::Tensor weight = *node.input(1)->initializer();
    std::vector<int64_t> dims = weight.dims();
    weight.reshape({dims[0], dims[1], 1, dims[2]});
    weight.name = graph.uniqueName(node.input(1)->name() + "_2d");
    node.setInput(1, graph.addInitializer(std::move(weight)));
  }
  for (const char* name : {"kernel_shape", "strides", "dilations", "pads", "output_padding", "output_shape"})
    widenAttribute(node, name);
  // The node's own value becomes the 4-D one; a Reshape under the original name
  // (graph outputs keep their names) gives its readers the 3-D result.
  ir::Value* y = node.output(0);
  std::string name = y->name();
  std::vector<int64_t> out = y->type.staticShape();
  graph.renameValue(y, graph.uniqueName(name + "_2d"));
  ir::Node* back = reshapeNode(graph, nullptr, out, name, y->type.dtype);
  graph.replaceAllUsesWith(y, back->output(0));
  back->setInput(0, y);
  y->type = ir::ValueType::tensor(y->type.dtype, {out[0], out[1], 1, out[2]});
}

}  // namespace

int liftSpatial1dTo2d(ir::Graph& graph) {
  int lifted = 0;
  for (ir::Node* node : graph.nodes())
    if (liftable(*node)) {
      lift(graph, *node);
      ++lifted;
    }
  if (lifted > 0) graph.topologicalSort();  // the Reshapes were appended
  return lifted;
}

}  // namespace convopt::codegen
