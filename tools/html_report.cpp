#include "tools/html_report.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <fstream>
#include <map>

#include "ir/conv_info.h"
#include "ir/error.h"
#include "ir/model_summary.h"
#include "ir/printer.h"
#include "ir/shape_inference.h"
#include "passes/cost_model.h"
#include "passes/model_diff.h"
#include "tools/html_report_page.h"
#include "tools/report_graph.h"

namespace convopt::tools {
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

// The rewrite a node of either side belongs to: the one naming it, or naming the
// node it replaced (same first output), or the node its name was derived from.
const nlohmann::json* rewriteOf(const ir::Node& node, const std::string& replacedLabel,
                                const nlohmann::json& rewrites) {
  for (const nlohmann::json& rewrite : rewrites) {
    std::string name = rewrite.value("node", "");
    if (name == node.label() || name == replacedLabel || (!name.empty() && node.name.rfind(name, 0) == 0))
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
      if (const nlohmann::json* rewrite = rewriteOf(node, label == beforeLabels.end() ? "" : label->second, rewrites))
        entry["rewrite"] = *rewrite;
    }
    if (auto changes = side.diff.find(output); changes != side.diff.end()) entry["changes"] = changes->second;
    details[fmt::format("{}-n{}", side.prefix, i)] = entry;
  }
  return details;
}

std::string number(std::optional<int64_t> value) { return value ? fmt::format("{}", *value) : "?"; }

// One row per conv of the model before (and per conv only the model after has).
std::string convRows(const ir::Model& before, const ir::Model* after, const nlohmann::json& rewrites) {
  std::map<std::string, ir::ConvInfo> afterConvs;
  if (after)
    for (const ir::ConvInfo& conv : ir::summarizeModel(*after).convs) afterConvs[firstOutput(*conv.node)] = conv;
  auto row = [](const std::string& name, const std::string& scope, const std::string& kinds, const std::string& params,
                const std::string& macs, double msBefore, double msAfter, const nlohmann::json* rewrite) {
    return fmt::format(
        "<tr{}><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td data-v=\"{:.6f}\">{:.4f} → {:.4f}</td>"
        "<td>{}</td></tr>\n",
        rewrite ? " class=\"rewritten\"" : "", escaped(name), escaped(scope), kinds, params, macs, msAfter, msBefore,
        msAfter, rewrite ? escaped(rewrite->value("pass", "") + ": " + rewrite->value("description", "")) : "");
  };
  std::string rows;
  for (const ir::ConvInfo& conv : ir::summarizeModel(before).convs) {
    double ms = passes::estimateConvSeconds(passes::geometryOf(conv)) * 1e3;
    const nlohmann::json* rewrite = nullptr;
    for (const nlohmann::json& r : rewrites)
      if (r.value("node", "") == conv.node->label() && r.value("scope", "") == conv.scope) rewrite = &r;
    std::string output = firstOutput(*conv.node);
    auto matched = afterConvs.find(output);
    const ir::ConvInfo* now = matched == afterConvs.end() ? nullptr : &matched->second;
    std::string kindAfter = rewrite ? (*rewrite)["after"].value("kind", "")
                            : now   ? std::string(ir::convKindName(now->kind))
                            : after ? "removed"
                                    : "";
    std::string kinds = std::string(ir::convKindName(conv.kind)) + (after ? " → " + kindAfter : "");
    int64_t params = conv.weightParams + conv.biasParams;
    std::string paramsText = fmt::format("{}", params), macsText = number(conv.macs);
    double msAfter = ms;
    if (rewrite) {
      paramsText += fmt::format(" → {}", (*rewrite)["after"].value("params", int64_t(0)));
      macsText += fmt::format(" → {}", (*rewrite)["after"].value("macs", int64_t(0)));
      ms = (*rewrite)["before"].value("estimated_seconds", 0.0) * 1e3;
      msAfter = (*rewrite)["after"].value("estimated_seconds", 0.0) * 1e3;
    } else if (after && !now) {
      msAfter = 0;
    }
    rows += row(conv.node->label(), conv.scope, kinds, paramsText, macsText, ms, msAfter, rewrite);
    if (now) afterConvs.erase(matched);
  }
  for (const auto& [output, conv] : afterConvs) {
    double ms = passes::estimateConvSeconds(passes::geometryOf(conv)) * 1e3;
    rows += row(conv.node->label(), conv.scope, "new → " + std::string(ir::convKindName(conv.kind)),
                fmt::format("{}", conv.weightParams + conv.biasParams), number(conv.macs), 0, ms, nullptr);
  }
  return rows;
}

// Bars of time by layer kind: the profile's categories, or predicted conv time per kind.
std::string timeBars(const HtmlReportInput& input) {
  std::vector<std::tuple<std::string, double, double>> bars;  // label, before, after
  std::string heading;
  if (input.profile.is_object() && input.profile.contains("categories")) {
    heading = "measured (bench --profile), ms per inference";
    for (const nlohmann::json& c : input.profile["categories"])
      bars.emplace_back(c.value("category", ""), 0, c.value("ms", 0.0));
  } else {
    heading = "predicted by the cost model, conv time in ms";
    std::map<std::string, std::pair<double, double>> byKind;
    auto add = [&](const ir::Model& model, bool isAfter) {
      for (const ir::ConvInfo& conv : ir::summarizeModel(model).convs) {
        auto& [before, after] = byKind[std::string(ir::convKindName(conv.kind))];
        (isAfter ? after : before) += passes::estimateConvSeconds(passes::geometryOf(conv)) * 1e3;
      }
    };
    add(*input.before, false);
    if (input.after) add(*input.after, true);
    for (const auto& [kind, ms] : byKind) bars.emplace_back(kind, ms.first, input.after ? ms.second : ms.first);
  }
  double most = 1e-12, totalBefore = 0, totalAfter = 0;
  for (const auto& [label, before, after] : bars) {
    most = std::max({most, before, after});
    totalBefore += before;
    totalAfter += after;
  }
  std::string html = fmt::format("<p>{}</p>\n<div class=\"bars\">\n", heading);
  for (const auto& [label, before, after] : bars)
    html += fmt::format(
        "<div class=\"bar\"><span class=\"label\">{}</span><span class=\"track\">"
        "<span class=\"before\" style=\"width:{:.1f}%\"></span><span class=\"after\" style=\"width:{:.1f}%\"></span>"
        "</span><span class=\"value\">{:.4f} → {:.4f}</span></div>\n",
        escaped(label), 100 * before / most, 100 * after / most, before, after);
  return html + fmt::format(
                    "<div class=\"bar total\"><span class=\"label\">total</span><span class=\"track\"></span>"
                    "<span class=\"value\">{:.4f} → {:.4f}</span></div>\n</div>\n",
                    totalBefore, totalAfter);
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
  if (input.after) {
    passes::ModelDiff diff = passes::diffModels(*input.before, *input.after);
    for (const passes::NodeChange& c : diff.removed) before.marks[c.output] = "removed";
    for (const passes::NodeChange& c : diff.added) after.marks[c.output] = "added";
    for (const passes::NodeChange& c : diff.changed) {
      before.marks[c.output] = after.marks[c.output] = "changed";
      before.diff[c.output] = after.diff[c.output] = c.details;
    }
  }
  nlohmann::json data = {{"nodes", nodeDetails(before, beforeLabels, input.rewrites)}};
  if (input.after) data["nodes"].update(nodeDetails(after, beforeLabels, input.rewrites));
  std::string summary = "<p><b>" + escaped(input.beforeName) + "</b>: " + totalsLine(ir::summarizeModel(*input.before));
  if (input.after)
    summary += "</p><p><b>" + escaped(input.afterName) + "</b>: " + totalsLine(ir::summarizeModel(*input.after)) +
               fmt::format("</p><p>{} rewrites", input.rewrites.size());
  summary += "</p>\n";
  std::string graphs = graphColumn(before, input.beforeName) + (input.after ? graphColumn(after, input.afterName) : "");
  std::string dataText = data.dump();
  for (size_t at = 0; (at = dataText.find("</", at)) != std::string::npos;) dataText.replace(at, 2, "<\\/");
  return filledPage({{"TITLE", escaped(input.title)},
                     {"SUMMARY", summary},
                     {"GRAPHS", graphs},
                     {"ROWS", convRows(*input.before, input.after, input.rewrites)},
                     {"BARS", timeBars(input)},
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

ir::Model modelForReport(const ir::Model& model, const std::vector<std::string>& inputShapes) {
  ir::Model copy = model.clone();
  for (const std::string& spec : inputShapes) ir::applyInputShape(copy, spec);
  ir::inferShapes(copy);
  return copy;
}

}  // namespace convopt::tools
