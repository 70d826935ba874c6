// The text files of an artifact: NAME.h (the C API and the tensors' #defines)
// and NAME.json (what the artifact is, for tools).
#pragma once
#include <string>
#include <vector>

#include "codegen/aot/program_table.h"
#include "codegen/engine/target.h"

namespace convopt::codegen {

struct ArtifactDescription {
  std::string name;         // the C prefix
  std::string sourceModel;  // path as given
  std::string sourceHash;   // FNV-1a 64 of the model file, hex
  std::string format;       // object, static, shared
  bool embeddedWeights = false;
  bool flushDenormals = true;
  std::vector<std::string> features;  // required CPU features
  std::vector<std::string> files;
};

std::string artifactHeader(const ArtifactDescription& description, const ProgramTable& table, const Target& target);
std::string artifactJson(const ArtifactDescription& description, const ProgramTable& table, const Target& target);

}  // namespace convopt::codegen
