// Row placement kernels on plain (row-major) tensors: each of `rows` rows of
// `inner` floats of the input is copied into its row of the output, which is
// `outputRow` floats long, from column `offset` on. A Concat along any axis of
// plain tensors is one per input (rows: the product of the dims before the
// axis); a channel concat of blocked tensors stays a channel gather.
//
// Buffers: input, output. Work unit: one chunk of one row (plain_rows.h).
#pragma once
#include <cstdint>
#include <string>

namespace llvm {
class Module;
}

namespace convopt::codegen {

struct RowPlacementSpec {
  int64_t rows = 1, inner = 1, outputRow = 1, offset = 0;
};

void emitRowPlacementKernel(llvm::Module& module, const std::string& name, const RowPlacementSpec& spec,
                            int vectorWidth);
int64_t rowPlacementWorkUnits(const RowPlacementSpec& spec, int vectorWidth);

}  // namespace convopt::codegen
