// Runs a small ONNX-text model through the JIT engine and the reference
// interpreter on the same random inputs and expects the same outputs.
#pragma once
#include <string>

#include "ir/onnx_io.h"
#include "runtime/reference/interpreter.h"

namespace convopt::testing {

// The first graph input is the model's input; the other float inputs are its
// weights and become random initializers (ONNX text cannot spell them out);
// inputs named "var" or "divisor" are kept positive.
runtime::TensorMap randomizeModel(ir::Model& model, unsigned seed);

// Runs the model both ways on random inputs (gtest failures on mismatch); returns
// the engine's explanation.
std::string expectSameAsReference(const std::string& text, const char* cpu, int threads = 2);

}  // namespace convopt::testing
