// Detection post-processing: NonMaxSuppression.
#include <algorithm>
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

}  // namespace

void registerDetectionKernels(KernelRegistry& r) { r.add("NonMaxSuppression", nonMaxSuppression); }

}  // namespace convopt::runtime::reference
