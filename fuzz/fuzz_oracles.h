// What the fuzz targets share beyond "no crash": importing the fuzzer's bytes
// the way the CLI does, deciding whether a model is cheap and tame enough to
// execute, seeded inputs, and comparing two executions. A broken oracle is a
// finding: it prints what differs and aborts, so libFuzzer keeps the input.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "ir/graph.h"
#include "runtime/reference/interpreter.h"

namespace convopt::fuzz {

// Bytes -> a verified model with shapes inferred, or nullopt when they are not
// a model or convopt refuses it with an InputError (the expected outcome).
// Sets convopt's memory limit to 16 MiB per tensor on first use.
// External data resolves against an empty folder: every reference is missing.
std::optional<ir::Model> importedModel(const uint8_t* data, size_t size);

// Worth executing: every value of the graph and its bodies has a static shape,
// a Loop at most 16 trips (a constant trip count), no tensor
// over 2^16 elements, convolutions and matrix products of at most 2^22
// multiply-adds, and float initializers finite and below 1e4 in magnitude (so
// two correct executions agree to a tolerance; extreme values still go through
// the import and the passes, just not the comparison).
bool executable(const ir::Graph& graph);

// Seeded random inputs of the graph's static input shapes.
runtime::TensorMap seededInputs(const ir::Graph& graph);

// Aborts with `what` and the differing output unless every output of
// `expected` (the reference run of `graph` on `inputs`) is in `actual` and
// equal within rtol 1e-3 and atol 1e-3 * max(1, max |expected|). Outputs the
// expected run made non-finite are skipped, and a difference is excused when
// that run computes a non-finite value on the way (a variance of 0 with an
// epsilon of 0, an overflow): inf - inf and NaN then propagate differently
// through two correct executions, e.g. a folded BatchNorm and Relu.
void requireSameOutputs(const ir::Graph& graph, int64_t opset, const runtime::TensorMap& inputs,
                        const runtime::TensorMap& expected, const runtime::TensorMap& actual, const std::string& what);

[[noreturn]] void finding(const std::string& message);

}  // namespace convopt::fuzz
