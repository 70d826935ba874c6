#include "tools/report/html_report.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <fstream>
#include <map>
#include <set>

#include "ir/conv_info.h"
#include "ir/error.h"
#include "ir/model_summary.h"
#include "ir/printer.h"
#include "ir/shape_inference.h"
#include "passes/cost_model.h"
#include "passes/model_diff.h"
#include "tools/report/graph_drawing.h"
#include "tools/report/html_report_page.h"

namespace convopt::report {
namespace {

std::string escaped(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string firstOutput(const ir::Node& node) {
  return node.outputs().empty() || !node.output(0) ? "" : node.output(0)->name();
}

// The rewrite a node of either side belongs to: the one naming it or the node
// it replaced (same first output); for a node a rewrite added, also the one
// whose node its name extends ("merged_depthwise" of "merged").
const nlohmann::json* rewriteOf(const ir::Node& node, const std::string& replacedLabel, bool added,
                                const nlohmann::json& rewrites) {
  for (const nlohmann::json& rewrite : rewrites) {
    std::string name = rewrite.value("node", "");
    if (name == node.label() || name == replacedLabel ||
        (added && !name.empty() && node.name.rfind(name + "_", 0) == 0))
      return &rewrite;
  }
  return nullptr;
}

struct Side {
  std::string prefix;
  const ir::Model* model;
  std::map<std::string, std::string> marks;              // by first output
  std::map<std::string, std::vector<std::string>> diff;  // by first output: what changed
};

// What the page shows when a node is clicked, by its SVG id.
nlohmann::json nodeDetails(const Side& side, const std::map<std::string, std::string>& beforeLabels,
                           const nlohmann::json& rewrites) {
  nlohmann::json details = nlohmann::json::object();
  std::vector<ir::Node*> nodes = side.model->graph->nodes();
  for (size_t i = 0; i < nodes.size(); ++i) {
    const ir::Node& node = *nodes[i];
    std::string output = firstOutput(node);
    nlohmann::json entry = {{"op", node.opType}, {"name", node.name}, {"line", passes::nodeOneLine(node)}};
    nlohmann::json outputs = nlohmann::json::array();
    for (const ir::Value* value : node.outputs())
      if (value) outputs.push_back(value->name() + ": " + ir::typeText(value->type));
    entry["outputs"] = outputs;
    if (auto mark = side.marks.find(output); mark != side.marks.end()) {
      entry["mark"] = mark->second;
      auto label = beforeLabels.find(output);
      if (const nlohmann::json* rewrite =
              rewriteOf(node, label == beforeLabels.end() ? "" : label->second, mark->second == "added", rewrites))
        entry["rewrite"] = *rewrite;
    }
    if (auto changes = side.diff.find(output); changes != side.diff.end()) entry["changes"] = changes->second;
    details[fmt::format("{}-n{}", side.prefix, i)] = entry;
  }
  return details;
}

std::string number(std::optional<int64_t> value) { return value ? fmt::format("{}", *value) : "?"; }

struct ConvRow {
  std::string name, scope, kinds, params, macs;
  double msBefore = 0, msAfter = 0;
  std::string msText;   // instead of the figures, where they are counted in another row
  std::string rewrite;  // "pass: legality reason"
};

std::string rowHtml(const ConvRow& row) {
  std::string ms = row.msText.empty() ? fmt::format("{:.4f} → {:.4f}", row.msBefore, row.msAfter) : row.msText;
  return fmt::format(
      "<tr{}><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td data-v=\"{:.6f}\">{}</td><td>{}</td></tr>\n",
      row.rewrite.empty() ? "" : " class=\"rewritten\"", escaped(row.name), escaped(row.scope), escaped(row.kinds),
      row.params, row.macs, row.msAfter, ms, escaped(row.rewrite));
}

// A rewrite's own figures, before -> after, as optimize recorded them.
void takeRewrite(ConvRow& row, const nlohmann::json& rewrite) {
  const nlohmann::json &before = rewrite["before"], &after = rewrite["after"];
  row.kinds = before.value("kind", "") + " → " + after.value("kind", "");
  row.params = fmt::format("{} → {}", before.value("params", int64_t(0)), after.value("params", int64_t(0)));
  row.macs = fmt::format("{} → {}", before.value("macs", int64_t(0)), after.value("macs", int64_t(0)));
  row.msBefore = before.value("estimated_seconds", 0.0) * 1e3;
  row.msAfter = after.value("estimated_seconds", 0.0) * 1e3;
  row.rewrite = rewrite.value("pass", "") + ": " + rewrite.value("description", "");
}

double predictedMs(const ir::ConvInfo& conv, const passes::CostModel& cost) {
  return cost.convSeconds(passes::geometryOf(conv)) * 1e3;
}

// One row per conv of the model before, then one per conv only the model after (if any) has.
std::string convRows(const std::vector<ir::ConvInfo>& before, const std::vector<ir::ConvInfo>* after,
                     const nlohmann::json& rewrites, const passes::CostModel& cost) {
  std::map<std::string, ir::ConvInfo> afterConvs;  // by first output
  if (after)
    for (const ir::ConvInfo& conv : *after) afterConvs[firstOutput(*conv.node)] = conv;
  std::string rows;
  std::set<const nlohmann::json*> shown;  // rewrites a row of the model before already shows
  for (const ir::ConvInfo& conv : before) {
    ConvRow row{conv.node->label(),
                conv.scope,
                std::string(ir::convKindName(conv.kind)),
                fmt::format("{}", conv.weightParams + conv.biasParams),
                number(conv.macs),
                predictedMs(conv, cost),
                0,
                "",
                ""};
    auto now = afterConvs.find(firstOutput(*conv.node));
    const nlohmann::json* rewrite = nullptr;
    for (const nlohmann::json& r : rewrites)
      if (r.value("node", "") == conv.node->label() && r.value("scope", "") == conv.scope) rewrite = &r;
    if (rewrite) {
      takeRewrite(row, *rewrite);
      shown.insert(rewrite);
    } else if (!after) {
      row.msAfter = row.msBefore;
    } else {
      bool kept = now != afterConvs.end();
      row.kinds += " → " + (kept ? std::string(ir::convKindName(now->second.kind)) : "removed");
      row.msAfter = kept ? predictedMs(now->second, cost) : 0;
    }
    rows += rowHtml(row);
    if (now != afterConvs.end()) afterConvs.erase(now);
  }
  for (const auto& [output, conv] : afterConvs) {
    ConvRow row{conv.node->label(),
                conv.scope,
                "new → " + std::string(ir::convKindName(conv.kind)),
                fmt::format("{}", conv.weightParams + conv.biasParams),
                number(conv.macs),
                0,
                predictedMs(conv, cost),
                "",
                ""};
    if (const nlohmann::json* rewrite = rewriteOf(*conv.node, "", true, rewrites); rewrite && shown.count(rewrite)) {
      row.msText = "in " + rewrite->value("node", "") + "'s row";
      row.rewrite = "part of " + rewrite->value("pass", "") + " of " + rewrite->value("node", "");
    } else if (rewrite) {
      takeRewrite(row, *rewrite);
      row.kinds = "new: " + row.kinds;
    }
    rows += rowHtml(row);
  }
  return rows;
}

// Bars of time by layer kind: the profile's categories (measured, one model), or
// the cost model's predicted conv time per kind (before and after, if there is an after).
std::string timeBars(const nlohmann::json& profile, const std::vector<ir::ConvInfo>& beforeConvs,
                     const std::vector<ir::ConvInfo>* afterConvs, const passes::CostModel& cost) {
  std::vector<std::tuple<std::string, double, double>> bars;  // label, before, after
  bool measured = profile.is_object() && profile.contains("categories");
  bool compared = !measured && afterConvs;
  if (measured) {
    for (const nlohmann::json& c : profile["categories"])
      bars.emplace_back(c.value("category", ""), 0, c.value("ms", 0.0));
  } else {
    std::map<std::string, std::pair<double, double>> byKind;
    auto add = [&](const std::vector<ir::ConvInfo>& convs, bool isAfter) {
      for (const ir::ConvInfo& conv : convs) {
        auto& [before, after] = byKind[std::string(ir::convKindName(conv.kind))];
        (isAfter ? after : before) += predictedMs(conv, cost);
      }
    };
    add(beforeConvs, false);
    add(afterConvs ? *afterConvs : beforeConvs, true);
    for (const auto& [kind, ms] : byKind) bars.emplace_back(kind, ms.first, ms.second);
  }
  double most = 1e-12, totalBefore = 0, totalAfter = 0;
  for (const auto& [label, before, after] : bars) {
    most = std::max({most, before, after});
    totalBefore += before;
    totalAfter += after;
  }
  auto value = [&](double before, double after) {
    return compared ? fmt::format("{:.4f} → {:.4f}", before, after) : fmt::format("{:.4f}", after);
  };
  std::string predicted = fmt::format("predicted conv time by the {} cost model, ms", cost.table().runtime);
  std::string html = fmt::format(
      "<p>{}</p>\n<div class=\"bars\">\n",
      measured   ? "measured by <code>convopt bench --profile</code>, ms per inference"
      : compared ? predicted + ": <span class=\"key before\">before</span> <span class=\"key after\">after</span>"
                 : predicted);
  for (const auto& [label, before, after] : bars)
    html += fmt::format(
        "<div class=\"bar\"><span class=\"label\">{}</span><span class=\"track\">{}<span class=\"after\" "
        "style=\"width:{:.1f}%\"></span></span><span class=\"value\">{}</span></div>\n",
        escaped(label),
        compared ? fmt::format("<span class=\"before\" style=\"width:{:.1f}%\"></span>", 100 * before / most) : "",
        100 * after / most, value(before, after));
  return html + fmt::format(
                    "<div class=\"bar total\"><span class=\"label\">total</span><span class=\"track\"></span>"
                    "<span class=\"value\">{}</span></div>\n</div>\n",
                    value(totalBefore, totalAfter));
}

std::string graphColumn(const Side& side, const std::string& title) {
  GraphDrawing drawing = drawGraph(*side.model->graph, side.prefix, side.marks);
  std::string body = drawing.svg.empty()
                         ? fmt::format("<p class=\"unavailable\">graph not drawn: {}</p>", escaped(drawing.unavailable))
                         : drawing.svg;
  return fmt::format("<div class=\"graph\" id=\"graph-{}\"><h3>{}</h3><div class=\"canvas\">{}</div></div>\n",
                     side.prefix, escaped(title), body);
}

std::string totalsLine(const ir::ModelSummary& summary) {
  int64_t nodes = 0;
  for (const auto& [op, count] : summary.opHistogram) nodes += count;
  std::vector<std::string> kinds;
  for (const auto& [kind, count] : summary.convCounts)
    kinds.push_back(fmt::format("{} {}", count, ir::convKindName(kind)));
  return fmt::format("{} nodes · {} params · {} MACs · convs: {}", nodes, summary.params, number(summary.macs),
                     fmt::join(kinds, ", "));
}

// A copy with shapes inferred at the given NAME=DIMS specs, for the report's figures.
ir::Model modelForReport(const ir::Model& model, const std::vector<std::string>& inputShapes) {
  ir::Model copy = model.clone();
  for (const std::string& spec : inputShapes) ir::applyInputShape(copy, spec);
  ir::inferShapes(copy);
  return copy;
}

// The page with its @NAME@ slots filled, in one pass over the page (text put in is never scanned).
std::string filledPage(const std::map<std::string, std::string>& slots) {
  std::string_view page = kHtmlReportPage;
  std::string out;
  for (size_t from = 0;;) {
    size_t next = std::string_view::npos;
    const std::pair<const std::string, std::string>* slot = nullptr;
    for (const auto& entry : slots)
      if (size_t at = page.find("@" + entry.first + "@", from); at < next) next = at, slot = &entry;
    if (!slot) return out.append(page.substr(from));
    out.append(page.substr(from, next - from)).append(slot->second);
    from = next + slot->first.size() + 2;
  }
}

}  // namespace

std::string renderHtmlReport(const HtmlReportInput& input) {
  Side before{"before", input.before, {}, {}}, after{"after", input.after, {}, {}};
  std::map<std::string, std::string> beforeLabels;  // by first output
  for (const ir::Node* node : input.before->graph->nodes()) beforeLabels[firstOutput(*node)] = node->label();
  passes::ModelDiff diff;  // its summaries serve the totals, the table and the bars
  if (input.after) {
    diff = passes::diffModels(*input.before, *input.after);
    for (const passes::NodeChange& c : diff.removed) before.marks[c.output] = "removed";
    for (const passes::NodeChange& c : diff.added) after.marks[c.output] = "added";
    for (const passes::NodeChange& c : diff.changed) {
      before.marks[c.output] = after.marks[c.output] = "changed";
      before.diff[c.output] = after.diff[c.output] = c.details;
    }
  } else {
    diff.before = ir::summarizeModel(*input.before);
  }
  const std::vector<ir::ConvInfo>* afterConvs = input.after ? &diff.after.convs : nullptr;
  nlohmann::json data = {{"nodes", nodeDetails(before, beforeLabels, input.rewrites)}};
  if (input.after) data["nodes"].update(nodeDetails(after, beforeLabels, input.rewrites));
  std::string summary = "<p><b>" + escaped(input.beforeName) + "</b>: " + totalsLine(diff.before);
  if (input.after)
    summary += "</p><p><b>" + escaped(input.afterName) + "</b>: " + totalsLine(diff.after) +
               fmt::format("</p><p>{} rewrites", input.rewrites.size());
  summary += "</p>\n";
  std::string graphs = graphColumn(before, input.beforeName) + (input.after ? graphColumn(after, input.afterName) : "");
  std::string dataText = data.dump();
  for (size_t at = 0; (at = dataText.find("</", at)) != std::string::npos;) dataText.replace(at, 2, "<\\/");
  return filledPage({{"TITLE", escaped(input.title)},
                     {"SUMMARY", summary},
                     {"GRAPHS", graphs},
                     {"ROWS", convRows(diff.before.convs, afterConvs, input.rewrites, *input.cost)},
                     {"BARS", timeBars(input.profile, diff.before.convs, afterConvs, *input.cost)},
                     {"DATA", dataText}});
}

nlohmann::json readProfileJson(const std::string& path) {
  std::ifstream in(path);
  if (!in) throwInputError("--profile-json {}: cannot read the file", path);
  nlohmann::json json = nlohmann::json::parse(in, nullptr, false);
  if (json.is_object() && json.contains("profile")) json = json["profile"];
  if (!json.is_object() || !json.contains("categories") || !json["categories"].is_array())
    throwInputError("--profile-json {}: not what `convopt bench --profile --json` prints", path);
  return json;
}

OptimizeReport::OptimizeReport(const ir::Model& original, std::vector<std::string> inputShapes,
                               const std::string& profileJson, std::shared_ptr<const passes::CostModel> cost)
    : inputShapes_(std::move(inputShapes)),
      before_(modelForReport(original, inputShapes_)),
      profile_(profileJson.empty() ? nlohmann::json() : readProfileJson(profileJson)),
      cost_(std::move(cost)) {}

std::string OptimizeReport::render(const std::string& title, const std::string& beforeName,
                                   const std::string& afterName, const ir::Model& optimized,
                                   const nlohmann::json& rewrites) const {
  ir::Model after = modelForReport(optimized, inputShapes_);
  return renderHtmlReport({title, beforeName, afterName, &before_, &after, rewrites, profile_, cost_});
}

}  // namespace convopt::report
