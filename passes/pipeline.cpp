#include "passes/pipeline.h"

#include "ir/error.h"
#include "passes/pass_registry.h"

namespace convopt::passes {

const std::vector<PipelineEntry>& defaultPipeline() {
  static const std::vector<PipelineEntry> pipeline = {
      {"eliminate-identity", "so that Conv -> BN / Pad -> Conv / Split -> Conv adjacency is visible"},
      {"fold-constants", "Constant nodes and static shape arithmetic become initializers the matchers can read"},
      {"fold-pad", "explicit zero padding becomes Conv pads before any Conv is rewritten"},
      {"fold-batchnorm", "one op fewer per Conv; the BN scale keeps the weight's zero pattern and ranks"},
      // Not here: fold-channel-affine. Structure discovery does not need it (scaling output
      // channels keeps zero patterns and slice ranks), and re-rounding the weights moved
      // ppocr_v4_det's output from 3.4e-5 to 5.0e-5 max abs error against onnxruntime, past
      // the golden-check tolerance. Run it with --passes when the op count matters more.
      {"splitconcat-to-grouped",
       "merges branch convs first: they are dense and would otherwise be analysed one by one"},
      {"dense-to-depthwise", "a channel-diagonal weight is also block-diagonal; depthwise is its finest form"},
      {"dense-to-grouped", "remaining block-diagonal weights"},
      {"dense-to-separable", "only weights without zero blocks are worth an SVD"},
      {"spatial-separation",
       "last structural pass: a rank across the kernel's rows and columns, where "
       "per-channel factors found none"},
      {"dce", "removes the replaced weights and nodes left without uses"},
  };
  return pipeline;
}

std::vector<std::string> defaultPipelineNames() {
  std::vector<std::string> names;
  for (const PipelineEntry& entry : defaultPipeline()) names.emplace_back(entry.pass);
  return names;
}

std::vector<std::string> parsePipeline(std::string_view text) {
  std::vector<std::string> names;
  if (text.find_first_not_of(" \t") == std::string_view::npos) return names;  // the empty pipeline
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view item = text.substr(start, end - start);
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.front()))) item.remove_prefix(1);
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.back()))) item.remove_suffix(1);
    if (item.empty()) throwInputError("pass pipeline '{}': empty pass name", text);
    createPass(item);  // validates the name
    names.emplace_back(item);
    start = end + 1;
  }
  return names;
}

}  // namespace convopt::passes
