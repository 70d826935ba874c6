// Detection heads and post-processing: NonMaxSuppression, RoiAlign.
#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>

#include "runtime/reference/kernel.h"

namespace convopt::runtime::reference {
namespace {

struct Box {
  float y1, x1, y2, x2;  // normalized so y1 <= y2, x1 <= x2
};

Box boxAt(const float* b, bool centerPoint) {
  if (centerPoint) return {b[1] - b[3] / 2, b[0] - b[2] / 2, b[1] + b[3] / 2, b[0] + b[2] / 2};
  return {std::min(b[0], b[2]), std::min(b[1], b[3]), std::max(b[0], b[2]), std::max(b[1], b[3])};
}

float iou(const Box& a, const Box& b) {
  float ih = std::min(a.y2, b.y2) - std::max(a.y1, b.y1), iw = std::min(a.x2, b.x2) - std::max(a.x1, b.x1);
  if (ih <= 0 || iw <= 0) return 0;
  float inter = ih * iw;
  float uni = (a.y2 - a.y1) * (a.x2 - a.x1) + (b.y2 - b.y1) * (b.x2 - b.x1) - inter;
  return uni > 0 ? inter / uni : 0;
}

// Per batch and class: boxes scoring above score_threshold, by descending
// score (ties: lower index first), greedily kept unless their IoU with a kept
// box exceeds iou_threshold, at most max_output_boxes_per_class.
std::vector<Tensor> nonMaxSuppression(const KernelContext& ctx) {
  const Tensor& boxes = ctx.input(0);
  const Tensor& scores = ctx.input(1);
  requireFloat(ctx, boxes, "boxes");
  requireFloat(ctx, scores, "scores");
  if (boxes.rank() != 3 || boxes.dims()[2] != 4 || scores.rank() != 3 || scores.dims()[0] != boxes.dims()[0] ||
      scores.dims()[2] != boxes.dims()[1])
    ctx.fail("boxes must be [batches, boxes, 4] and scores [batches, classes, boxes]");
  const int64_t maxOut = ctx.hasInput(2) ? ctx.input(2).toInt64Vector().at(0) : 0;
  const float iouThreshold = ctx.hasInput(3) ? ctx.input(3).toFloatVector().at(0) : 0.f;
  const bool useScoreThreshold = ctx.hasInput(4);
  const float scoreThreshold = useScoreThreshold ? ctx.input(4).toFloatVector().at(0) : 0.f;
  const bool centerPoint = ctx.getInt("center_point_box", 0) != 0;
  const int64_t batches = boxes.dims()[0], count = boxes.dims()[1], classes = scores.dims()[1];
  std::vector<int64_t> selected;
  for (int64_t b = 0; b < batches; ++b)
    for (int64_t c = 0; c < classes; ++c) {
      const float* s = scores.data<float>().data() + (b * classes + c) * count;
      std::vector<int64_t> order;
      for (int64_t i = 0; i < count; ++i)
        if (!useScoreThreshold || s[i] > scoreThreshold) order.push_back(i);
      std::stable_sort(order.begin(), order.end(), [s](int64_t l, int64_t r) { return s[l] > s[r]; });
      std::vector<Box> kept;
      for (int64_t i : order) {
        if (int64_t(kept.size()) >= maxOut) break;
        Box box = boxAt(boxes.data<float>().data() + (b * count + i) * 4, centerPoint);
        if (std::any_of(kept.begin(), kept.end(), [&](const Box& k) { return iou(k, box) > iouThreshold; })) continue;
        kept.push_back(box);
        selected.insert(selected.end(), {b, c, i});
      }
    }
  return {Tensor::fromVector(DType::Int64, {int64_t(selected.size() / 3), 3}, selected)};
}

// Bilinear sample of a plane at (y, x) as RoiAlign defines it: 0 beyond one
// pixel outside, edges clamped. Returns the four weighted corner terms.
std::array<double, 4> roiSample(const float* plane, int64_t h, int64_t w, double y, double x) {
  if (y < -1 || y > double(h) || x < -1 || x > double(w)) return {0, 0, 0, 0};
  y = std::max(y, 0.0), x = std::max(x, 0.0);
  int64_t y0 = int64_t(y), x0 = int64_t(x), y1 = y0 + 1, x1 = x0 + 1;
  if (y0 >= h - 1) y0 = y1 = h - 1, y = double(y0);
  if (x0 >= w - 1) x0 = x1 = w - 1, x = double(x0);
  const double ly = y - double(y0), lx = x - double(x0), hy = 1 - ly, hx = 1 - lx;
  return {hy * hx * plane[y0 * w + x0], hy * lx * plane[y0 * w + x1], ly * hx * plane[y1 * w + x0],
          ly * lx * plane[y1 * w + x1]};
}

// RoiAlign: each output bin averages (or maxes, per corner term as ONNX's
// reference does) a grid of bilinear samples inside the scaled box.
std::vector<Tensor> roiAlign(const KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor& rois = ctx.input(1);
  requireFloat(ctx, x, "X");
  requireFloat(ctx, rois, "rois");
  const std::vector<int64_t> batchOf = ctx.input(2).toInt64Vector();
  if (x.rank() != 4 || rois.rank() != 2 || rois.dims()[1] != 4 || int64_t(batchOf.size()) != rois.dims()[0])
    ctx.fail("expected X [N,C,H,W], rois [R,4], batch_indices [R]");
  const int64_t outH = ctx.getInt("output_height", 1), outW = ctx.getInt("output_width", 1);
  const int64_t ratio = ctx.getInt("sampling_ratio", 0);
  const double scale = ctx.getFloat("spatial_scale", 1.f);
  const bool halfPixel = ctx.getString("coordinate_transformation_mode", "half_pixel") == "half_pixel";
  const bool maxMode = ctx.getString("mode", "avg") == "max";
  const int64_t channels = x.dims()[1], h = x.dims()[2], w = x.dims()[3], count = rois.dims()[0];
  Tensor y(DType::Float, {count, channels, outH, outW});
  for (int64_t r = 0; r < count; ++r) {
    if (batchOf[r] < 0 || batchOf[r] >= x.dims()[0]) ctx.fail("batch index {} is out of range", batchOf[r]);
    const float* box = rois.data<float>().data() + r * 4;
    const double offset = halfPixel ? 0.5 : 0;
    const double x0 = box[0] * scale - offset, y0 = box[1] * scale - offset;
    double roiW = box[2] * scale - offset - x0, roiH = box[3] * scale - offset - y0;
    if (!halfPixel) roiW = std::max(roiW, 1.0), roiH = std::max(roiH, 1.0);
    const double binH = roiH / double(outH), binW = roiW / double(outW);
    const int64_t gridH = ratio > 0 ? ratio : int64_t(std::ceil(roiH / double(outH)));
    const int64_t gridW = ratio > 0 ? ratio : int64_t(std::ceil(roiW / double(outW)));
    const double samples = double(std::max<int64_t>(gridH * gridW, 1));
    for (int64_t c = 0; c < channels; ++c) {
      const float* plane = x.data<float>().data() + (batchOf[r] * channels + c) * h * w;
      for (int64_t ph = 0; ph < outH; ++ph)
        for (int64_t pw = 0; pw < outW; ++pw) {
          double acc = 0;
          bool first = true;
          for (int64_t iy = 0; iy < gridH; ++iy)
            for (int64_t ix = 0; ix < gridW; ++ix) {
              const double sy = y0 + double(ph) * binH + (double(iy) + 0.5) * binH / double(gridH);
              const double sx = x0 + double(pw) * binW + (double(ix) + 0.5) * binW / double(gridW);
              std::array<double, 4> t = roiSample(plane, h, w, sy, sx);
              if (!maxMode)
                acc += t[0] + t[1] + t[2] + t[3];
              else
                acc = first ? *std::max_element(t.begin(), t.end())
                            : std::max(acc, *std::max_element(t.begin(), t.end()));
              first = false;
            }
          y.data<float>()[((r * channels + c) * outH + ph) * outW + pw] = float(maxMode ? acc : acc / samples);
        }
    }
  }
  return {std::move(y)};
}

}  // namespace

void registerDetectionKernels(KernelRegistry& r) {
  r.add("NonMaxSuppression", nonMaxSuppression);
  r.add("RoiAlign", roiAlign);
}

}  // namespace convopt::runtime::reference
