// A model run at any input shape it allows: the compiled engine is specialised
// to its input shapes (JitEngine), so the first run with a set of shapes
// compiles one, and later runs with the same shapes reuse it. At most
// `capacity` engines are kept; the least recently used one is dropped first.
#pragma once
#include <cstddef>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "codegen/engine/jit_engine.h"

namespace convopt::codegen {

class ShapeCachedEngine {
 public:
  static constexpr size_t kDefaultCapacity = 8;
  using Shapes = std::map<std::string, std::vector<int64_t>>;

  ShapeCachedEngine(const ir::Model& model, EngineOptions options, size_t capacity = kDefaultCapacity);

  // As JitEngine::run; compiles first when no cached engine has these input shapes.
  // Safe from several threads: compiling takes turns, runs of one engine take turns.
  runtime::TensorMap run(const runtime::TensorMap& inputs);
  // Compiles for these input shapes now (a no-op when cached), so a bad model
  // fails here rather than at its first run.
  void prepare(const Shapes& shapes) { engineFor(shapes); }
  size_t compilations() const;  // engines compiled so far (cache misses)
  size_t cachedEngines() const;
  // Each cached engine's JitEngine::explain under the input shapes it was compiled for.
  std::string explain() const;

 private:
  std::shared_ptr<JitEngine> engineFor(const Shapes& shapes);

  ir::Model model_;
  EngineOptions options_;
  size_t capacity_;
  mutable std::mutex mutex_;
  std::list<std::pair<Shapes, std::shared_ptr<JitEngine>>> engines_;  // most recently used first
  size_t compilations_ = 0;
};

}  // namespace convopt::codegen
