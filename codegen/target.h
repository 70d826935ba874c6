// The CPU the kernels are generated for: host by default, or a named LLVM CPU
// (`x86-64-v3` = AVX2+FMA, `x86-64-v4` = AVX-512). The vector width and the
// register count drive every tiling heuristic.
#pragma once
#include <memory>
#include <string>

namespace llvm {
class TargetMachine;
}

namespace convopt::codegen {

struct Target {
  std::string triple;
  std::string cpu;
  std::string features;   // LLVM feature string, e.g. "+avx2,+fma,..."
  int vectorWidth = 4;    // floats per vector register
  int vectorRegisters = 16;
  bool hasFma = false;
};

// `cpu` empty or "host": the machine we run on. Throws InputError for a CPU
// name LLVM does not know.
Target selectTarget(const std::string& cpu = "");

// A TargetMachine for `target` at -O3 (owned by the caller).
std::unique_ptr<llvm::TargetMachine> createTargetMachine(const Target& target);

}  // namespace convopt::codegen
