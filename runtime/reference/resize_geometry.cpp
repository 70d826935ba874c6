// Resize's coordinate mapping: every coordinate_transformation_mode, nearest
// rounding mode, linear and cubic weights, roi, exclude_outside, extrapolation,
// axes and keep_aspect_ratio_policy, and the legacy Resize-10 / Upsample forms.
#include "runtime/reference/resize_geometry.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "ir/int_math.h"

namespace convopt::runtime::reference {
namespace {

struct ResizeParams {
  std::string mode, transform, nearestMode;
  double cubicA = -0.75, extrapolation = 0;
  bool excludeOutside = false;
};

// `resized` is the output length before flooring (input length x scale), which
// ONNX uses in the length-based modes; `outLen` the integer output length.
// In float arithmetic, as onnxruntime's: a coordinate that lands on a pixel
// boundary in exact arithmetic can land a hair beside it in double arithmetic
// on the float scale (3 / 0.6f is 4.9999998 in double, 5 in float) and make
// nearest take the neighbouring pixel.
float sourceCoordinate(const ResizeParams& p, float x, float scale, float inLen, float outLen, float resized,
                       float roiStart, float roiEnd) {
  const std::string& t = p.transform;
  if (t == "half_pixel") return (x + 0.5f) / scale - 0.5f;
  if (t == "pytorch_half_pixel") return resized > 1 ? (x + 0.5f) / scale - 0.5f : 0.0f;
  if (t == "align_corners") return resized == 1 ? 0.0f : x * (inLen - 1) / (resized - 1);
  if (t == "asymmetric") return x / scale;
  if (t == "tf_half_pixel_for_nn") return (x + 0.5f) / scale;
  if (t == "half_pixel_symmetric") {
    float offset = inLen / 2 * (1 - outLen / resized);
    return offset + (x + 0.5f) / scale - 0.5f;
  }
  // tf_crop_and_resize
  if (resized > 1) return roiStart * (inLen - 1) + x * (roiEnd - roiStart) * (inLen - 1) / (resized - 1);
  return 0.5f * (roiStart + roiEnd) * (inLen - 1);
}

int64_t nearestIndex(const ResizeParams& p, double x, double scale) {
  const std::string& m = p.nearestMode;
  if (m == "floor") return static_cast<int64_t>(std::floor(x));
  if (m == "ceil") return static_cast<int64_t>(std::ceil(x));
  if (m == "simple") return static_cast<int64_t>(scale < 1 ? std::ceil(x) : std::floor(x));  // Resize-10, Upsample
  bool half = x - std::floor(x) == 0.5;
  if (m == "round_prefer_ceil") return static_cast<int64_t>(half ? std::ceil(x) : std::round(x));
  return static_cast<int64_t>(half ? std::floor(x) : std::round(x));  // round_prefer_floor
}

std::array<double, 4> cubicWeights(double t, double a) {
  auto far = [a](double s) { return ((a * s - 5 * a) * s + 8 * a) * s - 4 * a; };  // 1 <= s < 2
  auto near = [a](double s) { return ((a + 2) * s - (a + 3)) * s * s + 1; };       // 0 <= s < 1
  return {far(t + 1), near(t), near(1 - t), far(2 - t)};
}

ResizeTaps tapsFor(const ResizeParams& p, double x, double scale, int64_t inLen) {
  ResizeTaps t;
  if (p.transform == "tf_crop_and_resize" && (x < 0 || x > double(inLen - 1))) {
    t.outside = true;
    return t;
  }
  auto clampIndex = [inLen](int64_t i) { return std::clamp<int64_t>(i, 0, inLen - 1); };
  if (p.mode == "nearest") {
    t.taps.push_back({clampIndex(nearestIndex(p, x, scale)), 1.0});
  } else if (p.mode == "linear") {
    x = std::clamp(x, 0.0, double(inLen - 1));
    int64_t i0 = static_cast<int64_t>(std::floor(x));
    double w = x - double(i0);
    t.taps.push_back({i0, 1 - w});
    if (w != 0) t.taps.push_back({clampIndex(i0 + 1), w});
  } else {
    int64_t i0 = static_cast<int64_t>(std::floor(x));
    std::array<double, 4> w = cubicWeights(x - double(i0), p.cubicA);
    double sum = 0;
    for (int k = 0; k < 4; ++k) {
      int64_t i = i0 - 1 + k;
      if (p.excludeOutside && (i < 0 || i >= inLen)) continue;
      t.taps.push_back({clampIndex(i), w[k]});
      sum += w[k];
    }
    if (p.excludeOutside)
      for (auto& tap : t.taps) tap.second /= sum;
  }
  return t;
}

std::vector<double> doubles(const Tensor& t) {
  std::vector<float> f = t.toFloatVector();
  return {f.begin(), f.end()};
}

struct Target {
  std::vector<int64_t> dims;    // output shape
  std::vector<double> scales;   // per axis
  std::vector<double> resized;  // per axis: unfloored output length
  std::vector<double> roi;      // [starts..., ends...] over all axes
};

// Target sizes and scales along every axis from scales or sizes (+ axes,
// keep_aspect_ratio_policy).
Target targetShape(const KernelContext& ctx, const std::vector<int64_t>& inDims, const Tensor* scalesIn,
                   const Tensor* sizesIn, const std::vector<double>& roi) {
  Target target;
  std::vector<int64_t>& outDims = target.dims;
  std::vector<double>& scales = target.scales;
  const int64_t rank = int64_t(inDims.size());
  std::vector<int64_t> axes = ctx.getInts("axes");
  if (axes.empty())
    for (int64_t i = 0; i < rank; ++i) axes.push_back(i);
  for (int64_t& a : axes) a = ctx.normalizeAxis(a, rank);
  outDims = inDims;
  scales.assign(rank, 1.0);
  std::vector<double> fullRoi(2 * rank);
  for (int64_t i = 0; i < rank; ++i) fullRoi[i] = 0, fullRoi[rank + i] = 1;
  if (!roi.empty()) {
    if (roi.size() != 2 * axes.size()) ctx.fail("roi has {} values for {} axes", roi.size(), axes.size());
    for (size_t i = 0; i < axes.size(); ++i) fullRoi[axes[i]] = roi[i], fullRoi[rank + axes[i]] = roi[axes.size() + i];
  }
  target.roi = fullRoi;
  target.resized.assign(inDims.begin(), inDims.end());
  if (sizesIn && sizesIn->numel() > 0) {
    std::vector<int64_t> sizes = sizesIn->toInt64Vector();
    if (sizes.size() != axes.size()) ctx.fail("sizes has {} values for {} axes", sizes.size(), axes.size());
    std::string policy = ctx.getString("keep_aspect_ratio_policy", "stretch");
    double common = policy == "not_larger" ? 1e300 : 0;
    for (size_t i = 0; i < axes.size(); ++i) {
      double s = double(sizes[i]) / double(inDims[axes[i]]);
      common = policy == "not_larger" ? std::min(common, s) : std::max(common, s);
    }
    for (size_t i = 0; i < axes.size(); ++i) {
      int64_t len = inDims[axes[i]];
      if (policy == "stretch") {
        outDims[axes[i]] = sizes[i];
        scales[axes[i]] = float(double(sizes[i]) / double(len));
      } else {
        double dim = std::round(common * double(len));
        if (!representableDim(dim)) ctx.fail("sizes make dim {} {:g} long", axes[i], dim);
        outDims[axes[i]] = static_cast<int64_t>(dim);
        scales[axes[i]] = common;
      }
      target.resized[axes[i]] = double(outDims[axes[i]]);
    }
    return target;
  }
  if (!scalesIn) ctx.fail("neither scales nor sizes is given");
  std::vector<double> given = doubles(*scalesIn);
  if (given.size() != axes.size()) ctx.fail("scales has {} values for {} axes", given.size(), axes.size());
  for (size_t i = 0; i < axes.size(); ++i) {
    int64_t a = axes[i];
    if (given[i] <= 0) ctx.fail("scale {} must be positive", given[i]);
    scales[a] = given[i];
    // In float, as onnxruntime and libonnx's shape inference multiply (10 x 0.7f
    // is 7 in float, 6.99999988 in double); not times the roi's extent under
    // tf_crop_and_resize, which the operator's text asks for: onnxruntime, ONNX's
    // reference and its shape inference all leave it out.
    target.resized[a] = double(float(inDims[a]) * float(given[i]));
    double dim = std::floor(target.resized[a]);
    if (!representableDim(dim)) ctx.fail("scale {:g} makes dim {} {:g} long", given[i], a, dim);
    outDims[a] = static_cast<int64_t>(dim);
  }
  return target;
}

}  // namespace

ResizeGeometry resizeGeometry(const KernelContext& ctx, const std::vector<int64_t>& inputDims) {
  const bool legacy = ctx.node.opType == "Upsample" || ctx.opset < 11;
  const int64_t rank = int64_t(inputDims.size());
  ResizeParams p;
  p.mode = ctx.getString("mode", "nearest");
  if (p.mode == "bilinear") p.mode = "linear";  // Upsample-7's name
  if (p.mode != "nearest" && p.mode != "linear" && p.mode != "cubic") ctx.fail("unknown mode '{}'", p.mode);
  p.transform = legacy ? "asymmetric" : ctx.getString("coordinate_transformation_mode", "half_pixel");
  p.nearestMode = legacy ? "simple" : ctx.getString("nearest_mode", "round_prefer_floor");
  p.cubicA = ctx.getFloat("cubic_coeff_a", -0.75f);
  p.excludeOutside = ctx.getInt("exclude_outside", 0) != 0;
  p.extrapolation = ctx.getFloat("extrapolation_value", 0.f);
  if (ctx.getInt("antialias", 0) != 0) ctx.fail("antialias=1 is not supported");
  std::vector<double> roi;
  const Tensor* scales = nullptr;
  const Tensor* sizes = nullptr;
  Tensor attrScales;
  if (legacy && !ctx.hasInput(1)) {
    const ir::Attribute* attr = ctx.node.findAttribute("scales");
    if (!attr || int64_t(attr->floats.size()) != rank) ctx.fail("scales needs one value per input dim");
    attrScales = Tensor::fromVector(DType::Float, {rank}, attr->floats);
    scales = &attrScales;
  } else if (legacy) {
    scales = &ctx.input(1);
  } else {
    if (ctx.hasInput(1) && p.transform == "tf_crop_and_resize") roi = doubles(ctx.input(1));
    scales = ctx.hasInput(2) && ctx.input(2).numel() > 0 ? &ctx.input(2) : nullptr;
    sizes = ctx.optionalInput(3);
  }
  Target t = targetShape(ctx, inputDims, scales, sizes, roi);
  ResizeGeometry g{p.mode, p.extrapolation, t.dims, {}};
  for (int64_t a = 0; a < rank; ++a) {
    std::vector<ResizeTaps>& axis = g.axes.emplace_back();
    for (int64_t x = 0; x < t.dims[a]; ++x)
      axis.push_back(tapsFor(p,
                             sourceCoordinate(p, float(x), float(t.scales[a]), float(inputDims[a]), float(t.dims[a]),
                                              float(t.resized[a]), float(t.roi[a]), float(t.roi[rank + a])),
                             t.scales[a], inputDims[a]));
  }
  return g;
}

}  // namespace convopt::runtime::reference
