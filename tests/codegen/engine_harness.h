// Test harness for the compiled engine: runs a small model written as ONNX
// text through the JIT engine and the reference interpreter on the same random
// inputs and compares every output.
#pragma once
#include <string>

namespace convopt::codegen::testing {

// The first graph input is the model's input; the other float inputs are its
// weights and become random initializers (ONNX text cannot spell them out);
// inputs named "var" or "divisor" are kept positive. Reports a test failure on
// the first mismatch; returns the engine's explanation.
std::string expectSameAsReference(const std::string& text, const char* cpu, int threads = 2);

// Compiles the model for its declared input shapes without running it; returns
// the engine's explanation (for nodes that fall back on purpose).
std::string explainEngine(const std::string& text, const char* cpu);

}  // namespace convopt::codegen::testing
