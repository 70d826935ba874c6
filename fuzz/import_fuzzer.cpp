// libFuzzer target `import`: arbitrary bytes as an ONNX file, through
// everything `convopt inspect` does with one — protobuf parse, import,
// verifier, shape inference (libonnx's, then the project's rules). The only
// acceptable failure is an InputError (a clear message, exit code 2 in the
// CLI); a crash, sanitizer report, hang or runaway allocation is a bug.
// Byte-level mutation on purpose: it is the parser and importer under test.
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_oracles.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  convopt::fuzz::importedModel(data, size);
  return 0;
}
