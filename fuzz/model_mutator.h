// Structure-aware mutation of ONNX models for the fuzz targets that need a
// model to get anywhere (the pass pipeline, the JIT engine). libFuzzer calls
// LLVMFuzzerCustomMutator with a corpus entry; instead of flipping bytes of the
// protobuf (which mostly yields files the parser rejects, so the passes are
// never reached) it parses the model, changes one thing a real model might
// get wrong or a real exporter might do differently, and serializes it again:
//   dims of inputs, outputs and value_info; int attributes (strides, pads,
//   group, axis...) to edge values, removed or retyped; initializer shapes
//   (data resized to match, or not) and data (blocks zeroed so structure
//   rewrites fire, special values, raw bytes); node inputs rewired, dropped or
//   dangling; op types swapped, nodes deleted or wrapped in an If; opsets;
//   external-data entries pointing anywhere; element types.
// Every graph of the model is a candidate, subgraphs included.
#pragma once
#include <cstddef>
#include <cstdint>
#include <random>

namespace onnx {
class ModelProto;
}

namespace convopt::fuzz {

// One random structural change, chosen and parameterized by `rng`.
void mutateModel(onnx::ModelProto& model, std::mt19937_64& rng);

// The body of LLVMFuzzerCustomMutator: mutates the serialized model in
// data[0, size) in place (at most maxSize bytes) and returns its new size.
// Bytes that do not parse as a model get libFuzzer's own byte mutation.
size_t mutateSerializedModel(uint8_t* data, size_t size, size_t maxSize, unsigned seed);

}  // namespace convopt::fuzz
