#include "codegen/engine/shape_cached_engine.h"

#include <stdexcept>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace convopt::codegen {

ShapeCachedEngine::ShapeCachedEngine(const ir::Model& model, EngineOptions options, size_t capacity)
    : model_(model.clone()), options_(std::move(options)), capacity_(capacity) {
  if (capacity_ == 0) throw std::invalid_argument("ShapeCachedEngine: capacity must be at least 1");
}

std::shared_ptr<JitEngine> ShapeCachedEngine::engineFor(const Shapes& shapes) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto it = engines_.begin(); it != engines_.end(); ++it)
    if (it->first == shapes) {
      engines_.splice(engines_.begin(), engines_, it);
      return it->second;
    }
  auto engine = std::make_shared<JitEngine>(model_, shapes, options_);
  ++compilations_;
  engines_.emplace_front(shapes, engine);
  if (engines_.size() > capacity_) engines_.pop_back();  // a run still holding it finishes first
  return engine;
}

runtime::TensorMap ShapeCachedEngine::run(const runtime::TensorMap& inputs) {
  return engineFor(shapesOf(inputs))->run(inputs);
}

size_t ShapeCachedEngine::compilations() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return compilations_;
}

std::string ShapeCachedEngine::explain() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string text;
  for (const auto& [shapes, engine] : engines_) {
    std::vector<std::string> dims;
    for (const auto& [name, shape] : shapes) dims.push_back(fmt::format("{}=[{}]", name, fmt::join(shape, ",")));
    text += fmt::format("compiled for {}:\n{}", fmt::join(dims, " "), engine->explain());
  }
  return text;
}

size_t ShapeCachedEngine::cachedEngines() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return engines_.size();
}

}  // namespace convopt::codegen
