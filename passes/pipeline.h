// Pipelines: the default one, as data, and the text form `--passes=a,b,c`.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace convopt::passes {

struct PipelineEntry {
  std::string_view pass;
  std::string_view why;  // why it sits at this position
};

// The pipeline `convopt optimize` runs when no --passes is given.
const std::vector<PipelineEntry>& defaultPipeline();
// "a,b,c" (whitespace around names ignored) -> pass names, each checked
// against the registry; "" (or blanks) is the empty pipeline. Throws
// InputError for unknown or empty names ("a,,b").
std::vector<std::string> parsePipeline(std::string_view text);
std::vector<std::string> defaultPipelineNames();

}  // namespace convopt::passes
