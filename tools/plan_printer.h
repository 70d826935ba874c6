// --print-after-all of the commands that compile a model with the JIT engine
// (bench, compile, run).
#pragma once
#include "codegen/engine/jit_engine.h"

namespace convopt::tools {

// With `enabled`, prints the pre-lowering plan to stderr after each of its
// steps, as `optimize --print-after-all` prints the IR after each pass.
codegen::PlanningObserver planPrinter(bool enabled);

}  // namespace convopt::tools
