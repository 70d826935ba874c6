// A lowered model as the ahead-of-time runtime reads it (runtime/artifact_format.h):
// the int64 program table, the weights payload (every packed constant at an
// aligned offset) and the tensors of the C API. Slots are resolved to arena
// offsets here, so the artifact needs no plan at run time.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "codegen/aot/body_programs.h"
#include "codegen/engine/lowered_model.h"

namespace convopt::codegen {

struct ArtifactTensor {
  std::string name;
  std::vector<int64_t> dims;
  ir::DType dtype = ir::DType::Float;
  int64_t elements() const;
  int64_t bytes() const;
  std::string dtypeName() const;  // as NumPy names it: float32, int64, bool, ...
};

struct ProgramTable {
  std::vector<int64_t> words;          // the table; words[CONVOPT_P_CODE_HASH] set by sealProgramTable
  std::vector<std::string> kernels;    // kernel names, by the index steps use
  std::vector<unsigned char> payload;  // constants, each at a CONVOPT_ALIGNMENT offset; whole 8-byte words
  std::vector<ArtifactTensor> inputs, outputs;
  uint64_t payloadHash = 0;
  // --allow-fallback: per node run by libconvopt_fallback, its label and its
  // one-node model (fallback_model.h), by the index fallback steps use.
  std::vector<std::string> fallbackNodes, fallbackModels;
};

struct TableOptions {
  bool flushDenormals = true;
  int64_t requiredFeatures = 0;  // mask of cpu_features.def bits
  bool allowFallback = false;    // nodes without a kernel run in libconvopt_fallback
};

// The table of `lowered` and of its If and Loop bodies. Throws InputError
// naming the node or tensor when the model cannot run as an artifact: a node
// without a kernel (unless allowed to fall back, and then one the fallback
// library cannot run alone), a dynamic shape, an input or output of a type
// without a fixed size, a Loop whose scan outputs have no fixed trip count.
ProgramTable buildProgramTable(const LoweredModel& lowered, const BodyPrograms& bodies, const TableOptions& options);

// The weights header (magic, format, byte order, hashes) for `table`.
std::vector<unsigned char> weightsHeader(const ProgramTable& table);

// Sets the code hash: of the table, the payload, the fallback models and
// `codeIdentity` (the target and kernel names), so weights from another
// compile are refused at load.
void sealProgramTable(ProgramTable& table, const std::string& codeIdentity);

}  // namespace convopt::codegen
