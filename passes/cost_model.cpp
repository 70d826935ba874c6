#include "passes/cost_model.h"

#include "ir/int_math.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>

#include "ir/error.h"

namespace convopt::passes {
namespace {

// How far apart two channel structures are: log ratios, so that 4 vs 8
// channels per group is as far as 32 vs 64.
double distance(const KernelRate& rate, double inPerGroup, double outPerGroup, double kernelElements) {
  return std::abs(std::log(double(rate.inPerGroup) / inPerGroup)) +
         std::abs(std::log(double(rate.outPerGroup) / outPerGroup)) +
         std::abs(std::log(double(rate.kernelElements) / kernelElements));
}

}  // namespace

int64_t ConvGeometry::params() const {
  return saturatingSum(saturatingProduct(outChannels, inChannels / group, kernelElements), hasBias ? outChannels : 0);
}

int64_t ConvGeometry::macs() const {
  return saturatingProduct(batch, outPixels, outChannels, inChannels / group, kernelElements);
}

int64_t ConvGeometry::bytesMoved() const {
  int64_t elements = saturatingSum(saturatingProduct(batch, inPixels, inChannels),
                                   saturatingSum(saturatingProduct(batch, outPixels, outChannels), params()));
  return saturatingProduct(elementBytes, elements);
}

CostModel::Entry CostModel::interpolated(const ConvGeometry& conv) const {
  ir::ConvKind kind = conv.kind();
  const std::vector<int64_t>& native = table_.nativeDepthMultipliers;
  if (kind == ir::ConvKind::Depthwise && !native.empty() &&
      std::find(native.begin(), native.end(), conv.outChannels / conv.group) == native.end())
    return {table_.fallbackMacsPerSecond, table_.nodeSeconds};
  double in = double(std::max<int64_t>(conv.inChannels / conv.group, 1));
  double out = double(std::max<int64_t>(conv.outChannels / conv.group, 1));
  double k = double(std::max<int64_t>(conv.kernelElements, 1));
  // The two nearest entries of this kind (grouped falls back to dense ones).
  const KernelRate* nearest[2] = {nullptr, nullptr};
  double d[2] = {INFINITY, INFINITY};
  for (ir::ConvKind wanted : {kind, ir::ConvKind::Dense}) {
    for (const KernelRate& rate : table_.rates) {
      if (rate.kind != wanted) continue;
      double dr = distance(rate, in, out, k);
      if (dr < d[0]) {
        nearest[1] = nearest[0], d[1] = d[0];
        nearest[0] = &rate, d[0] = dr;
      } else if (dr < d[1]) {
        nearest[1] = &rate, d[1] = dr;
      }
    }
    if (nearest[0]) break;
  }
  auto overhead = [&](const KernelRate* rate) {
    return rate->overheadSeconds >= 0 ? rate->overheadSeconds : table_.nodeSeconds;
  };
  if (!nearest[1] || d[0] == 0) return {nearest[0]->macsPerSecond, overhead(nearest[0])};
  // Inverse-distance weights on the log rates and on the overheads.
  double w0 = d[1] / (d[0] + d[1]);
  return {std::exp(w0 * std::log(nearest[0]->macsPerSecond) + (1 - w0) * std::log(nearest[1]->macsPerSecond)),
          w0 * overhead(nearest[0]) + (1 - w0) * overhead(nearest[1])};
}

double CostModel::macsPerSecond(const ConvGeometry& conv) const { return interpolated(conv).macsPerSecond; }

double CostModel::overheadSeconds(const ConvGeometry& conv) const { return interpolated(conv).overheadSeconds; }

double CostModel::convSeconds(const ConvGeometry& conv) const {
  Entry entry = interpolated(conv);
  double compute = double(conv.macs()) / entry.macsPerSecond;
  double memory = double(conv.bytesMoved()) / table_.streamBytesPerSecond;
  return entry.overheadSeconds + std::max(compute, memory);
}

double CostModel::gatherSeconds(int64_t bytes) const { return double(bytes) / table_.gatherBytesPerSecond; }

double CostModel::splitConcatSeconds(int64_t bytes) const { return double(bytes) / table_.splitConcatBytesPerSecond; }

std::shared_ptr<const CostModel> builtinCostModel(std::string_view runtime) {
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<const CostModel>, std::less<>> models;
  std::lock_guard lock(mutex);
  auto found = models.find(runtime);
  if (found != models.end()) return found->second;
  auto model = std::make_shared<const CostModel>(builtinCostTable(runtime));
  models.emplace(std::string(runtime), model);
  return model;
}

std::shared_ptr<const CostModel> selectCostModel(std::string_view runtime, const std::string& tablePath) {
  if (tablePath.empty()) return builtinCostModel(runtime.empty() ? "convopt" : runtime);
  CostTable table = loadCostTable(tablePath);
  if (!runtime.empty() && table.runtime != runtime)
    throwInputError("cost table '{}' was measured for '{}', not '{}' (--for)", tablePath, table.runtime, runtime);
  return std::make_shared<const CostModel>(std::move(table));
}

bool rewritePays(double beforeSeconds, double afterSeconds, double minGain) {
  return afterSeconds <= beforeSeconds * (1.0 - minGain);
}

ConvGeometry geometryOf(const ir::ConvInfo& conv) {
  ConvGeometry geometry;
  geometry.inChannels = conv.inChannels;
  geometry.outChannels = conv.outChannels;
  geometry.group = conv.group;
  geometry.hasBias = conv.biasParams > 0;
  for (int64_t k : conv.kernelShape) geometry.kernelElements *= k;
  for (int64_t d : conv.outputSpatial) geometry.outPixels *= std::max<int64_t>(d, 1);
  const ir::ValueType& input = conv.node->input(0)->type;
  if (input.shape && !input.shape->empty()) {
    geometry.batch = std::max<int64_t>((*input.shape)[0].value, 1);
    for (size_t i = 2; i < input.shape->size(); ++i) geometry.inPixels *= std::max<int64_t>((*input.shape)[i].value, 1);
  }
  return geometry;
}

}  // namespace convopt::passes
