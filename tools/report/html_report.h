// The HTML report (`optimize --html`, `inspect --html`): one self-contained
// file (inline CSS, script and SVG; nothing fetched) showing the graph before
// and after side by side with the changed nodes highlighted (click or hover a
// node for what it is, the rewrite and its legality reason, params and MACs
// before -> after, reconstruction error), a sortable table of every conv, and
// bars of where the time goes by layer kind: measured (`bench --profile
// --json`) when given, else the cost model's prediction.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ir/graph.h"
#include "passes/cost_model.h"

namespace convopt::report {

struct HtmlReportInput {
  std::string title;
  std::string beforeName, afterName;                  // what each side is (file names)
  const ir::Model* before = nullptr;                  // shapes inferred
  const ir::Model* after = nullptr;                   // null: one model, nothing compared
  nlohmann::json rewrites = nlohmann::json::array();  // optimize's report["rewrites"]
  nlohmann::json profile;                             // bench --profile --json of the after model, or null
  // What predicts each conv's time (the one optimize costed its rewrites with).
  std::shared_ptr<const passes::CostModel> cost = passes::builtinCostModel("convopt");
};

std::string renderHtmlReport(const HtmlReportInput& input);

// `--profile-json FILE`: what `convopt bench --profile --json` printed (its
// "profile" object, or that object alone); InputError naming the file otherwise.
nlohmann::json readProfileJson(const std::string& path);

// optimize's report: taken from the model before the pipeline runs, written
// once it has (the CLI's --html and Python's html=).
class OptimizeReport {
 public:
  // `inputShapes` (NAME=1x3x224x224) size the figures of dynamic dims; a
  // `profileJson` file ("" for none) is read now, so a bad one fails first.
  OptimizeReport(const ir::Model& original, std::vector<std::string> inputShapes, const std::string& profileJson,
                 std::shared_ptr<const passes::CostModel> cost);
  std::string render(const std::string& title, const std::string& beforeName, const std::string& afterName,
                     const ir::Model& optimized, const nlohmann::json& rewrites) const;

 private:
  std::vector<std::string> inputShapes_;
  ir::Model before_;
  nlohmann::json profile_;
  std::shared_ptr<const passes::CostModel> cost_;
};

}  // namespace convopt::report
