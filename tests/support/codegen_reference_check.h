// Compiled engine vs reference interpreter on small ONNX-text models, for the
// codegen tests.
#pragma once
#include <string>

namespace convopt::codegen::testing {

// Parses `text`; the first graph input is the model's input, the other float
// inputs become random initializers (ONNX text cannot spell them out; inputs
// named "var" or "divisor" are kept positive). Runs the model through the JIT
// engine for `cpu` and through the reference interpreter on the same random
// input, expects every output to agree, and returns the engine's explanation.
std::string expectSameAsReference(const std::string& text, const char* cpu, int threads = 2);

// Compiles the model for its declared input shapes without running it; returns
// the engine's explanation (for nodes that fall back on purpose).
std::string explainEngine(const std::string& text, const char* cpu);

}  // namespace convopt::codegen::testing
