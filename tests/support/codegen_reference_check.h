// The oracle of the engine tests: a model written as ONNX text, compiled by
// the JIT engine and run by the reference interpreter on the same random
// inputs; every output must agree.
#pragma once
#include <map>
#include <string>

#include "codegen/engine/target.h"
#include "ir/graph.h"

namespace convopt::codegen::testing {

struct ReferenceCheck {
  int threads = 2;
  // The first `runtimeInputs` graph inputs are fed at run time; the other
  // float inputs are weights and become random initializers (ONNX text cannot
  // spell them out). Inputs named "var" or "divisor" are kept positive.
  int runtimeInputs = 1;
  float magnitude = 1;  // random values in [-magnitude, magnitude]
  // |got - want| <= tolerance * (absolute + |want|)
  float tolerance = 1e-4f;
  float absolute = 1;
  WinogradUse winograd = WinogradUse::Auto;                      // EngineOptions::winograd
  std::map<std::string, int> measuredWinogradTiles = {};         // EngineOptions::measuredWinogradTiles
  std::map<std::string, ConvVariant> measuredConvVariants = {};  // EngineOptions::measuredConvVariants
  RingFusionUse ringFusion = RingFusionUse::Auto;                // EngineOptions::ringFusion
};

// Runs the model both ways; returns the engine's explanation (--explain).
std::string expectSameAsReference(const std::string& text, const char* cpu, const ReferenceCheck& check);
std::string expectSameAsReference(const std::string& text, const char* cpu, int threads = 2);

// "" when the explanation contains `line`, else a message quoting both, so
// EXPECT_EQ(has(explain, line), "") shows what the engine did instead.
std::string has(const std::string& explain, const std::string& line);

// The model of `text` with every graph input after the first made an
// initializer of fixed values (alternating, shrinking from 0.01 per input):
// for tests that time or compile a model rather than compare it.
ir::Model modelWithFixedWeights(const std::string& text);

// Compiles the model for its declared input shapes without running it; returns
// the engine's explanation (for nodes that fall back on purpose).
std::string explainEngine(const std::string& text, const char* cpu);

}  // namespace convopt::codegen::testing
