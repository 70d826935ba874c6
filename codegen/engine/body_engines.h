// The bodies of a compiled model's control-flow nodes (If, Loop, Scan), each
// compiled as a program of its own: the same lowering, the same kernels. The
// JIT engine runs the node itself as the reference interpreter's control flow
// (runtime/reference/control_flow.cpp: which branch, how many trips, how scan
// outputs stack) with runner() running the bodies, so no body falls back to the
// interpreter as a whole. A body is made a model of its own (its captures of
// outer constants become its constants, other captures its inputs) and compiled
// on first use for the shapes it is run at (ShapeCachedEngine: a Loop whose
// carried values keep their shapes compiles once).
#pragma once
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "codegen/engine/jit_engine.h"
#include "codegen/engine/shape_cached_engine.h"
#include "runtime/reference/interpreter.h"

namespace convopt::codegen {

class BodyEngines {
 public:
  // `model`: the compiled program's model, which holds the bodies and outlives this.
  BodyEngines(const ir::Model& model, EngineOptions options);

  std::vector<ir::Tensor> run(const ir::Graph& body, const runtime::BodyBindings& bound);
  const runtime::BodyRunner& runner() const { return runner_; }
  // Each body compiled so far, named by its node and attribute, with its programs' explanations.
  std::string explain() const;

 private:
  struct Body {
    std::string name;  // e.g. "If(y)/then_branch"
    std::unique_ptr<ShapeCachedEngine> engine;
  };
  Body& bodyFor(const ir::Graph& body);

  const ir::Model& model_;
  EngineOptions options_;
  runtime::BodyRunner runner_;
  mutable std::mutex mutex_;
  std::map<const ir::Graph*, Body> bodies_;
};

}  // namespace convopt::codegen
