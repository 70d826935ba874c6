// The HTML report (`optimize --html`, `inspect --html`): one self-contained
// file (inline CSS, script and SVG; nothing fetched) showing the graph before
// and after side by side with the changed nodes highlighted (click or hover a
// node for what it is, the rewrite and its legality reason, params and MACs
// before -> after, reconstruction error), a sortable table of every conv, and
// bars of where the time goes by layer kind: measured (`bench --profile
// --json`) when given, else the cost model's prediction.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "ir/graph.h"

namespace convopt::report {

struct HtmlReportInput {
  std::string title;
  std::string beforeName, afterName;                  // what each side is (file names)
  const ir::Model* before = nullptr;                  // shapes inferred
  const ir::Model* after = nullptr;                   // null: one model, nothing compared
  nlohmann::json rewrites = nlohmann::json::array();  // optimize's report["rewrites"]
  nlohmann::json profile;                             // bench --profile --json of the after model, or null
};

std::string renderHtmlReport(const HtmlReportInput& input);

// `--profile-json FILE`: what `convopt bench --profile --json` printed (its
// "profile" object, or that object alone); InputError naming the file otherwise.
nlohmann::json readProfileJson(const std::string& path);

// Shapes inferred on a copy at the given NAME=DIMS specs, for the report's figures.
ir::Model modelForReport(const ir::Model& model, const std::vector<std::string>& inputShapes);

}  // namespace convopt::report
