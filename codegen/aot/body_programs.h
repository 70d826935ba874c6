// The bodies of a model's If and Loop nodes, each lowered for an artifact as a
// program of its own — the same lowering and kernels as the model, emitted into
// the model's kernel module — so that an artifact runs control flow around
// compiled bodies, as the JIT engine does (codegen/engine/body_engines.h).
// An artifact's shapes are fixed when it is compiled, so each body is
// specialised to what its node feeds it: captured values keep their outer
// types; a Loop's iteration number and condition are scalars and its carried
// values take their initial values' types, which the body must keep.
#pragma once
#include <deque>
#include <map>
#include <string>

#include "codegen/engine/lowered_model.h"

namespace convopt::codegen {

struct BodyProgram {
  std::string scope;     // e.g. "If(y)/then_branch", "Loop(z)/body/If(w)/else_branch"
  LoweredModel lowered;  // its kernels are in the model's module
};

struct BodyPrograms {
  std::deque<BodyProgram> bodies;         // a nested body after the one holding it
  std::map<const ir::Graph*, int> index;  // by the subgraph a node of the model, or of a body, holds
};

// Whether a node runs as control flow around compiled bodies in an artifact.
bool runsCompiledBodies(const ir::Node& node);

// Lowers the bodies of every If and Loop that `model`'s program runs, and of
// theirs in turn. Throws InputError naming the node when a body cannot have
// fixed shapes: a value without one, a carried value whose shape the body
// changes, branches that give their If's outputs other types.
BodyPrograms lowerBodies(const LoweredModel& model, const Target& target, KernelModule& module);

}  // namespace convopt::codegen
