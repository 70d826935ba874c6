#include "codegen/engine/body_engines.h"

#include <fmt/format.h>

namespace convopt::codegen {
namespace {

// The scope of the body in `graph` (whose own scope is `scope`) or in its bodies, "" if it is not there.
std::string bodyName(const ir::Graph& graph, const ir::Graph& body, const std::string& scope = "") {
  for (const ir::Node* node : graph.nodes())
    for (const ir::Attribute& attribute : node->attributes)
      for (const ir::Subgraph& held : attribute.graphs) {
        std::string here = node->bodyScope(scope, attribute.name);
        if (&*held == &body) return here;
        if (std::string inner = bodyName(*held, body, here); !inner.empty()) return inner;
      }
  return "";
}

std::string indented(const std::string& text, const std::string& prefix) {
  std::string out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    out += (end > start ? prefix : "") + text.substr(start, end - start) + "\n";
    start = end + 1;
  }
  return out;
}

}  // namespace

BodyEngines::BodyEngines(const ir::Model& model, EngineOptions options)
    : model_(model),
      options_(std::move(options)),
      runner_([this](const ir::Graph& body, const runtime::BodyBindings& bound) { return run(body, bound); }) {}

BodyEngines::Body& BodyEngines::bodyFor(const ir::Graph& body) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = bodies_.find(&body);
  if (it != bodies_.end()) return it->second;
  Body& entry = bodies_[&body];
  entry.name = bodyName(*model_.graph, body);
  entry.engine = std::make_unique<ShapeCachedEngine>(model_.bodyAsModel(body), options_);
  return entry;
}

std::vector<ir::Tensor> BodyEngines::run(const ir::Graph& body, const runtime::BodyBindings& bound) {
  Body& entry = bodyFor(body);
  // Captured constants are the body program's own constants; the rest is fed by name.
  runtime::TensorMap feeds;
  for (const auto& [value, tensor] : bound)
    if (!value->isCapture() || !value->definition() || !value->definition()->isConstant())
      feeds[value->name()] = *tensor;
  runtime::TensorMap results = entry.engine->run(feeds);
  std::vector<ir::Tensor> outputs;
  for (const ir::Value* output : body.outputs()) outputs.push_back(std::move(results.at(output->name())));
  return outputs;
}

std::string BodyEngines::explain() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string text;
  for (const auto& [graph, body] : bodies_)
    text += fmt::format("body {}, ", body.name) + indented(body.engine->explain(), "    ").substr(4);
  return text;
}

}  // namespace convopt::codegen
