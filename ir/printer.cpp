#include "ir/printer.h"

#include <fmt/format.h>

namespace convopt::ir {

std::string typeText(const ValueType& type) {
  if (!type.opaqueTypeProto.empty()) return "opaque";
  std::string text(dtypeName(type.dtype));
  if (!type.shape) return text;
  std::vector<std::string> dims;
  for (const Dim& d : *type.shape)
    dims.push_back(d.isStatic() ? std::to_string(d.value) : d.param.empty() ? "?" : d.param);
  return fmt::format("{}[{}]", text, fmt::join(dims, ","));
}

namespace {

std::string tensorValuesText(const Tensor& t) {
  if (t.dtype() == DType::String) {
    std::vector<std::string> quoted;
    for (const auto& s : t.strings()) quoted.push_back(fmt::format("\"{}\"", s));
    return fmt::format("{{{}}}", fmt::join(quoted, ", "));
  }
  if (t.dtype() == DType::Float || t.dtype() == DType::Double)
    return fmt::format("{{{}}}", fmt::join(t.toFloatVector(), ", "));
  return fmt::format("{{{}}}", fmt::join(t.toInt64Vector(), ", "));
}

std::string tensorText(const Tensor& t) {
  return fmt::format("{}[{}] {}", dtypeName(t.dtype()), fmt::join(t.dims(), ","), tensorValuesText(t));
}

std::string graphText(const Graph& graph, const PrintOptions& options, const std::string& indent);

std::string attributeText(const Attribute& a, const PrintOptions& options, const std::string& indent) {
  switch (a.kind) {
    case AttrKind::Float:
      return fmt::format("{} = {}", a.name, a.f);
    case AttrKind::Int:
      return fmt::format("{} = {}", a.name, a.i);
    case AttrKind::String:
      return fmt::format("{} = \"{}\"", a.name, a.s);
    case AttrKind::Tensor:
      return fmt::format("{} = {}", a.name, tensorText(a.t));
    case AttrKind::Floats:
      return fmt::format("{} = [{}]", a.name, fmt::join(a.floats, ", "));
    case AttrKind::Ints:
      return fmt::format("{} = [{}]", a.name, fmt::join(a.ints, ", "));
    case AttrKind::Strings: {
      std::vector<std::string> quoted;
      for (const auto& s : a.strings) quoted.push_back(fmt::format("\"{}\"", s));
      return fmt::format("{} = [{}]", a.name, fmt::join(quoted, ", "));
    }
    case AttrKind::Tensors:
      return fmt::format("{} = <{} tensors>", a.name, a.tensors.size());
    case AttrKind::Graph:
    case AttrKind::Graphs: {
      std::vector<std::string> bodies;
      for (const Subgraph& body : a.graphs) bodies.push_back(graphText(*body, options, indent + "    "));
      std::string text = fmt::format("{}", fmt::join(bodies, ", "));
      return a.kind == AttrKind::Graph ? fmt::format("{} = {}", a.name, text) : fmt::format("{} = [{}]", a.name, text);
    }
    case AttrKind::Opaque:
      return fmt::format("{} = <subgraph or reference>", a.name);
  }
  return a.name;
}

std::string valueList(const std::vector<Value*>& values, bool withTypes) {
  std::vector<std::string> items;
  for (const Value* v : values) {
    if (!v)
      items.emplace_back();
    else
      items.push_back(withTypes ? typeText(v->type) + " " + v->name() : v->name());
  }
  return fmt::format("{}", fmt::join(items, ", "));
}

std::string nodeText(const Node& n, const PrintOptions& options, const std::string& indent) {
  std::string op = n.domain.empty() ? n.opType : n.domain + "." + n.opType;
  std::string attrs;
  if (!n.attributes.empty()) {
    std::vector<std::string> items;
    for (const Attribute& a : n.attributes) items.push_back(attributeText(a, options, indent));
    attrs = fmt::format(" <{}>", fmt::join(items, ", "));
  }
  std::string line =
      fmt::format("{}  {} = {}{} ({})", indent, valueList(n.outputs(), false), op, attrs, valueList(n.inputs(), false));
  if (!n.name.empty()) line += "  # " + n.name;
  return line + "\n";
}

// The graph without its trailing newline; a subgraph's lines are indented by `indent`.
std::string graphText(const Graph& graph, const PrintOptions& options, const std::string& indent) {
  std::string out = fmt::format("{} ({}) => ({})\n", graph.name.empty() ? "graph" : graph.name,
                                valueList(graph.inputs(), true), valueList(graph.outputs(), true));
  std::vector<std::string> inlined;
  for (const Value* v : graph.initializers()) {
    const Tensor& t = *v->initializer();
    if (t.numel() <= options.maxInlineElements)
      inlined.push_back(fmt::format("{}[{}] {} = {}", dtypeName(t.dtype()), fmt::join(t.dims(), ","), v->name(),
                                    tensorValuesText(t)));
    else
      out += fmt::format("{}# {}[{}] {} = <{} elements>\n", indent, dtypeName(t.dtype()), fmt::join(t.dims(), ","),
                         v->name(), t.numel());
  }
  if (!inlined.empty()) out += fmt::format("{}<{}>\n", indent, fmt::join(inlined, ", "));
  out += indent + "{\n";
  for (const Node* n : graph.nodes()) out += nodeText(*n, options, indent);
  return out + indent + "}";
}

}  // namespace

std::string printGraph(const Graph& graph, const PrintOptions& options) { return graphText(graph, options, "") + "\n"; }

std::string printModel(const Model& model, const PrintOptions& options) {
  std::vector<std::string> opsets;
  for (const OpsetImport& o : model.opsets) opsets.push_back(fmt::format("\"{}\" : {}", o.domain, o.version));
  std::string header = fmt::format("<ir_version: {}, opset_import: [{}]>\n", model.irVersion, fmt::join(opsets, ", "));
  return header + printGraph(*model.graph, options);
}

}  // namespace convopt::ir
