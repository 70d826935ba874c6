#include "passes/cost_table.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "ir/error.h"

// The built-in tables' JSON text (cmake/EmbedBinary.cmake).
extern const unsigned char convopt_cost_table_convopt[];
extern const unsigned long convopt_cost_table_convopt_size;
extern const unsigned char convopt_cost_table_onnxruntime[];
extern const unsigned long convopt_cost_table_onnxruntime_size;

namespace convopt::passes {
namespace {

using nlohmann::json;

ir::ConvKind kindNamed(const std::string& name, const std::string& where) {
  for (ir::ConvKind kind :
       {ir::ConvKind::Dense, ir::ConvKind::Pointwise, ir::ConvKind::Grouped, ir::ConvKind::Depthwise})
    if (ir::convKindName(kind) == name) return kind;
  throwInputError("{}: unknown conv kind '{}' (dense, pointwise, grouped, depthwise)", where, name);
}

// A positive finite number at `key`.
double positive(const json& object, const char* key, const std::string& where) {
  if (!object.contains(key) || !object[key].is_number())
    throwInputError("{}: '{}' is missing or not a number", where, key);
  double value = object[key].get<double>();
  if (!std::isfinite(value) || value <= 0) throwInputError("{}: '{}' must be positive, not {}", where, key, value);
  return value;
}

KernelRate rateFrom(const json& entry, const std::string& where) {
  if (!entry.is_object() || !entry.contains("kind") || !entry["kind"].is_string())
    throwInputError("{}: an entry needs a 'kind'", where);
  KernelRate rate;
  rate.kind = kindNamed(entry["kind"].get<std::string>(), where);
  rate.inPerGroup = int64_t(positive(entry, "in_per_group", where));
  rate.outPerGroup = int64_t(positive(entry, "out_per_group", where));
  rate.kernelElements = int64_t(positive(entry, "kernel_elements", where));
  rate.macsPerSecond = positive(entry, "gmacs", where) * 1e9;
  if (entry.contains("overhead_us")) {
    if (!entry["overhead_us"].is_number() || !std::isfinite(entry["overhead_us"].get<double>()) ||
        entry["overhead_us"].get<double>() < 0)
      throwInputError("{}: 'overhead_us' must be a number >= 0", where);
    rate.overheadSeconds = entry["overhead_us"].get<double>() * 1e-6;
  }
  return rate;
}

CostTable embedded(const unsigned char* bytes, unsigned long size, const std::string& runtime) {
  CostTable table = parseCostTable(std::string_view(reinterpret_cast<const char*>(bytes), size),
                                   fmt::format("built-in {} cost table", runtime));
  table.source = "built-in";
  return table;
}

}  // namespace

const std::vector<std::string>& builtinRuntimes() {
  static const std::vector<std::string> names = {"convopt", "onnxruntime"};
  return names;
}

const CostTable& builtinCostTable(std::string_view runtime) {
  static const std::map<std::string, CostTable, std::less<>> tables = {
      {"convopt", embedded(convopt_cost_table_convopt, convopt_cost_table_convopt_size, "convopt")},
      {"onnxruntime", embedded(convopt_cost_table_onnxruntime, convopt_cost_table_onnxruntime_size, "onnxruntime")},
  };
  auto found = tables.find(runtime);
  if (found == tables.end())
    throwInputError("no cost table for runtime '{}' (known: {})", runtime, fmt::join(builtinRuntimes(), ", "));
  return found->second;
}

CostTable parseCostTable(std::string_view text, const std::string& source) {
  json root = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded() || !root.is_object()) throwInputError("{}: not a JSON object", source);
  CostTable table;
  table.runtime = root.value("runtime", "");
  table.host = root.value("host", "");
  table.measured = root.value("measured", "");
  table.source = source;
  table.threads = int(positive(root, "threads", source));
  table.nodeSeconds = positive(root, "node_us", source) * 1e-6;
  table.streamBytesPerSecond = positive(root, "stream_gbps", source) * 1e9;
  table.gatherBytesPerSecond = positive(root, "gather_gbps", source) * 1e9;
  table.splitConcatBytesPerSecond = positive(root, "split_concat_gbps", source) * 1e9;
  if (root.contains("native_depth_multipliers")) {
    if (!root["native_depth_multipliers"].is_array())
      throwInputError("{}: 'native_depth_multipliers' must be an array of integers", source);
    for (const json& m : root["native_depth_multipliers"]) {
      if (!m.is_number_integer() || m.get<int64_t>() < 1)
        throwInputError("{}: 'native_depth_multipliers' must hold positive integers", source);
      table.nativeDepthMultipliers.push_back(m.get<int64_t>());
    }
    table.fallbackMacsPerSecond = positive(root, "fallback_gmacs", source) * 1e9;
  }
  if (!root.contains("rates") || !root["rates"].is_array()) throwInputError("{}: 'rates' must be an array", source);
  for (size_t i = 0; i < root["rates"].size(); ++i)
    table.rates.push_back(rateFrom(root["rates"][i], fmt::format("{}: rates[{}]", source, i)));
  for (ir::ConvKind kind : {ir::ConvKind::Dense, ir::ConvKind::Pointwise, ir::ConvKind::Depthwise})
    if (std::none_of(table.rates.begin(), table.rates.end(), [&](const KernelRate& r) { return r.kind == kind; }))
      throwInputError("{}: no rate for {} convs", source, ir::convKindName(kind));
  return table;
}

std::string costTableJson(const CostTable& table) {
  json rates = json::array();
  for (const KernelRate& r : table.rates) {
    rates.push_back({{"kind", ir::convKindName(r.kind)},
                     {"in_per_group", r.inPerGroup},
                     {"out_per_group", r.outPerGroup},
                     {"kernel_elements", r.kernelElements},
                     {"gmacs", std::round(r.macsPerSecond / 1e6) / 1e3}});
    if (r.overheadSeconds >= 0) rates.back()["overhead_us"] = std::round(r.overheadSeconds * 1e8) / 1e2;
  }
  json root = {{"runtime", table.runtime},
               {"host", table.host},
               {"measured", table.measured},
               {"threads", table.threads},
               {"node_us", std::round(table.nodeSeconds * 1e8) / 1e2},
               {"stream_gbps", std::round(table.streamBytesPerSecond / 1e7) / 1e2},
               {"gather_gbps", std::round(table.gatherBytesPerSecond / 1e7) / 1e2},
               {"split_concat_gbps", std::round(table.splitConcatBytesPerSecond / 1e7) / 1e2},
               {"rates", rates}};
  if (!table.nativeDepthMultipliers.empty()) {
    root["native_depth_multipliers"] = table.nativeDepthMultipliers;
    root["fallback_gmacs"] = std::round(table.fallbackMacsPerSecond / 1e6) / 1e3;
  }
  return root.dump(2) + "\n";
}

CostTable loadCostTable(const std::string& path) {
  std::ifstream in(path);
  if (!in) throwInputError("cannot read cost table '{}'", path);
  std::stringstream text;
  text << in.rdbuf();
  return parseCostTable(text.str(), path);
}

}  // namespace convopt::passes
