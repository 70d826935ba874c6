// What `convopt inspect` reports: opsets, inputs/outputs, op histogram,
// parameters, MACs and every Conv (ConvInfo); as JSON or as aligned text.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "ir/conv_info.h"

namespace convopt::ir {

struct ModelSummary {
  std::vector<OpsetImport> opsets;
  std::vector<const Value*> inputs, outputs;
  std::map<std::string, int64_t> opHistogram;  // "domain.Op" for custom domains
  int64_t params = 0;                          // elements of every initializer and Constant tensor
  std::vector<ConvInfo> convs;
  std::map<ConvKind, int64_t> convCounts;  // every kind present, zeros included
  // Sum over Conv, Gemm and MatMul; empty when any of them has unknown dims.
  std::optional<int64_t> macs;
};

// Call inferShapes first so that output dims (and thus MACs) are known.
// The summary points into `model`, which must outlive it.
ModelSummary summarizeModel(const Model& model);

// {opsets, inputs, outputs, op_histogram, convs: [...], totals: {params, macs,
// dense, pointwise, grouped, depthwise}}; unknown dims and MACs are null.
nlohmann::json summaryToJson(const ModelSummary& summary);
// Human-readable report with an aligned Conv table.
std::string summaryToText(const ModelSummary& summary);

}  // namespace convopt::ir
