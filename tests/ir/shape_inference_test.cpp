// Shape inference: libonnx plus the project's rules, which must stand alone
// (RulesOnly) for opsets libonnx does not know.
#include <gtest/gtest.h>

#include <filesystem>

#include "ir/error.h"
#include "ir/onnx_io.h"
#include "ir/printer.h"
#include "ir/shape_inference.h"
#include "tests/support/ir_shared_models.h"

namespace convopt::ir {
namespace {

// "value: type" for every node output, in node order.
std::string inferredTypes(const std::string& text, ShapeEngines engines) {
  Model model = parseModelText(text);
  inferShapes(model, engines);
  std::string out;
  for (const Node* n : model.graph->nodes())
    for (const Value* v : n->outputs()) out += v->name() + ": " + typeText(v->type) + "\n";
  return out;
}

std::string inputErrorOf(const std::string& text) {
  try {
    Model model = parseModelText(text);
    inferShapes(model);
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

TEST(ShapeRules, ConvAndPooling) {
  const char* model = R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,3,10,10] x, float[4,3,3,3] w, float[6,2,1,1] w2) => (float[1,6,A,B] z)
{
  a = Conv <strides = [2, 2], pads = [1, 1, 1, 1]> (x, w)
  b = Conv <group = 2, dilations = [2, 2]> (a, w2)
  c = MaxPool <kernel_shape = [2, 2], strides = [2, 2], ceil_mode = 1> (b)
  d = AveragePool <kernel_shape = [3, 3], auto_pad = "SAME_UPPER"> (c)
  z = GlobalAveragePool (d)
}
)";
  const char* expected = R"(a: float[1,4,5,5]
b: float[1,6,5,5]
c: float[1,6,3,3]
d: float[1,6,3,3]
z: float[1,6,1,1]
)";
  EXPECT_EQ(inferredTypes(model, ShapeEngines::RulesOnly), expected);
  EXPECT_EQ(inferredTypes(model, ShapeEngines::OnnxThenRules), expected);
}

// ceil_mode rounds 3 + 1 + 1 rows at stride 2 up to 3 windows; the third would
// start in the end padding and is dropped, as onnxruntime and the reference do.
TEST(ShapeRules, CeilModeDropsAWindowStartingInTheEndPadding) {
  const char* model = R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,2,3,3] x) => (float[1,2,A,B] y)
{
  y = MaxPool <kernel_shape = [2, 2], strides = [2, 2], pads = [1, 1, 1, 1], ceil_mode = 1> (x)
}
)";
  EXPECT_EQ(inferredTypes(model, ShapeEngines::RulesOnly), "y: float[1,2,2,2]\n");
  EXPECT_EQ(inferredTypes(model, ShapeEngines::OnnxThenRules), "y: float[1,2,2,2]\n");
  // After an op the rules do not size, libonnx (before ONNX 1.16) infers the pool
  // first: it keeps the window, which is dropped from its result as well.
  const char* afterSpaceToDepth = R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,1,6,6] x) => (float[1,4,A,B] y)
{
  s = SpaceToDepth <blocksize = 2> (x)
  y = MaxPool <kernel_shape = [2, 2], strides = [2, 2], pads = [1, 1, 1, 1], ceil_mode = 1> (s)
}
)";
  EXPECT_EQ(inferredTypes(afterSpaceToDepth, ShapeEngines::OnnxThenRules), "s: float[1,4,3,3]\ny: float[1,4,2,2]\n");
}

TEST(ShapeRules, SymbolicDimsStaySymbolicThroughElementwiseBroadcast) {
  const char* model = R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[N,3,H,W] x, float[8,3,1,1] w, float[1,8,1,1] s) => (float[N,8,H,W] z)
{
  y = Conv (x, w)
  r = Relu (y)
  m = Mul (r, s)
  z = HardSigmoid (m)
}
)";
  EXPECT_EQ(inferredTypes(model, ShapeEngines::RulesOnly), R"(y: float[N,8,?,?]
r: float[N,8,?,?]
m: float[N,8,?,?]
z: float[N,8,H,W]
)");
}

TEST(ShapeRules, LinearAndLayoutOps) {
  const char* model = R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2,3,4,6] x, float[10,72] wg, float[2,1,6,5] wm) => (float[2,10] z)
<int64[3] shape = {0, -1, 6}, int64[1] starts = {1}, int64[1] ends = {100}, int64[1] axes = {1},
 int64[2] split = {1, 2}, int64[2,2] idx = {0, 1, 1, 0}>
{
  r = Reshape (x, shape)
  f = Flatten (x)
  t = Transpose <perm = [0, 2, 3, 1]> (x)
  c = Concat <axis = 1> (x, x)
  s1, s2 = Split <axis = 1> (x, split)
  sl = Slice (x, starts, ends, axes)
  mm = MatMul (x, wm)
  ga = Gather <axis = 1> (x, idx)
  rm = ReduceMean <axes = [2, 3]> (x)
  rs = ReduceSum <keepdims = 0> (x, axes)
  am = ArgMax <axis = -1> (x)
  z = Gemm <transB = 1> (f, wg)
}
)";
  const char* expected = R"(r: float[2,12,6]
f: float[2,72]
t: float[2,4,6,3]
c: float[2,6,4,6]
s1: float[2,1,4,6]
s2: float[2,2,4,6]
sl: float[2,2,4,6]
mm: float[2,3,4,5]
ga: float[2,2,2,4,6]
rm: float[2,3,1,1]
rs: float[2,4,6]
am: int64[2,3,4,1]
z: float[2,10]
)";
  EXPECT_EQ(inferredTypes(model, ShapeEngines::RulesOnly), expected);
  EXPECT_EQ(inferredTypes(model, ShapeEngines::OnnxThenRules), expected);
}

// Ops whose output size comes from an input's values: known before anything evaluates them
// (fold-constants and the memory limit judge them by it), for opsets libonnx does not know too.
TEST(ShapeRules, SizesFromValuesConstantOfShapeExpandTilePad) {
  const char* model = R"(<ir_version: 8, opset_import: ["" : 18]>
g (float[2,1,3] x) => (int64[4,5] c, float[2,4,3] e, float[4,3,3] t, float[2,1,6] p, float[2,1,2] q)
<int64[2] dims = {4, 5}, int64[3] to = {1, 4, 1}, int64[3] reps = {2, 3, 1}, int64[6] pads = {0, 0, 1, 0, 0, 2},
 int64[2] crop = {0, -1}, int64[1] axes = {-1}>
{
  c = ConstantOfShape <value = int64[1] {7}> (dims)
  e = Expand (x, to)
  t = Tile (x, reps)
  p = Pad (x, pads)
  q = Pad (x, crop, , axes)
}
)";
  EXPECT_EQ(inferredTypes(model, ShapeEngines::RulesOnly),
            "c: int64[4,5]\ne: float[2,4,3]\nt: float[4,3,3]\np: float[2,1,6]\nq: float[2,1,2]\n");
  EXPECT_EQ(inputErrorOf(R"(<ir_version: 8, opset_import: ["" : 18]>
g (float[2,3] x) => (float[2,3] y) <int64[2] reps = {2, -1}> { y = Tile (x, reps) })"),
            "node Tile(y): repeats [2,-1] has a negative count");
  EXPECT_EQ(inputErrorOf(R"(<ir_version: 8, opset_import: ["" : 18]>
g (float[2,3] x) => (float[2,3] y) <int64[4] pads = {0, -2, 0, -2}> { y = Pad (x, pads) })"),
            "node Pad(y): pads [0,-2,0,-2] leave axis 1 of length 3 with -1 elements");
}

TEST(ShapeRules, ResizeBySizesAndByScales) {
  const char* model = R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,2,4,4] x) => (float[1,2,8,8] a, float[1,2,3,5] b)
<float[0] roi = {}, float[4] scales = {1, 1, 2, 2}, int64[4] sizes = {1, 2, 3, 5}>
{
  a = Resize <mode = "nearest"> (x, roi, scales)
  b = Resize (x, roi, , sizes)
}
)";
  EXPECT_EQ(inferredTypes(model, ShapeEngines::RulesOnly), "a: float[1,2,8,8]\nb: float[1,2,3,5]\n");
}

// Scales multiply in float, as in libonnx and onnxruntime (10 x 0.7f is 7 in
// float, 6.99999988 in double); sizes under keep_aspect_ratio_policy give one
// scale for every axis (opset 18: not_larger takes the smallest, 9 / 8 here).
TEST(ShapeRules, ResizeScalesInFloatAndKeepAspectRatio) {
  const char* model = R"(<ir_version: 8, opset_import: ["" : 18]>
g (float[1,2,10,8] x) => (a, b)
<float[0] roi = {}, float[4] scales = {1, 1, 0.7, 0.7}, int64[4] sizes = {2, 4, 15, 9}>
{
  a = Resize <mode = "nearest"> (x, roi, scales)
  b = Resize <keep_aspect_ratio_policy = "not_larger"> (x, roi, , sizes)
}
)";
  for (ShapeEngines engines : {ShapeEngines::RulesOnly, ShapeEngines::OnnxThenRules})
    EXPECT_EQ(inferredTypes(model, engines), "a: float[1,2,7,5]\nb: float[1,2,11,9]\n");
}

// Channel shuffle as exporters write it: the Reshape target is computed from
// the input's shape, so it is known once the input's dims are.
TEST(ShapeRules, ShapeArithmeticFeedsReshape) {
  const char* model = R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,8,5,5] x) => (float[1,8,5,5] z)
<int64[1] zero = {0}, int64[1] one = {1}, int64[1] two = {2}, int64[1] groups = {2}, int64[2] hw = {5, 5}>
{
  s = Shape (x)
  n = Gather <axis = 0> (s, zero)
  c = Gather <axis = 0> (s, one)
  cpg = Div (c, groups)
  target = Concat <axis = 0> (n, groups, cpg, hw)
  r = Reshape (x, target)
  t = Transpose <perm = [0, 2, 1, 3, 4]> (r)
  back = Slice (s, zero, two)
  z = Reshape (t, s)
}
)";
  const char* expected = R"(s: int64[4]
n: int64[1]
c: int64[1]
cpg: int64[1]
target: int64[5]
r: float[1,2,4,5,5]
t: float[1,4,2,5,5]
back: int64[2]
z: float[1,8,5,5]
)";
  EXPECT_EQ(inferredTypes(model, ShapeEngines::RulesOnly), expected);
}

// An opset libonnx 1.12 has never heard of (and an op it has no schema for)
// must not abort inference: the rules carry on.
TEST(ShapeRules, UnknownOpsetAndOpStillGetShapes) {
  const char* model = R"(<ir_version: 10, opset_import: ["" : 99]>
g (float[1,3,8,8] x, float[4,3,3,3] w) => (float[1,4,6,6] z)
{
  y = Conv (x, w)
  f = FutureActivation (y)
  z = Relu (y)
}
)";
  EXPECT_EQ(inferredTypes(model, ShapeEngines::OnnxThenRules), "y: float[1,4,6,6]\nf: undefined\nz: float[1,4,6,6]\n");
}

// A batch-1 export's constant shape, met at batch 2.
// A Loop's carried output is its body's, the body's symbols bound to what the
// Loop feeds; a scan output has M trips only when nothing else can end it.
TEST(ShapeRules, LoopOutputsFollowTheBodyWithItsSymbolsBound) {
  const char* loop = R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2,3] x) => (float[?,?] y, float[?,?,?] trace)
<int64 trips = {4}>
{
  y, trace = Loop (trips, , x) <body = b (int64 i, bool c, float[N,C] v) => (bool c_out, float[N,C] v_out, float[N,C] s) {
    c_out = Identity (c)
    v_out = Relu (v)
    s = Identity (v_out)
  }>
}
)";
  EXPECT_EQ(inferredTypes(loop, ShapeEngines::RulesOnly), "y: float[2,3]\ntrace: float[4,2,3]\n");
  std::string stopping = loop;
  stopping.replace(stopping.find("c_out = Identity (c)"), 20, "c_out = Less (i, i)");
  EXPECT_EQ(inferredTypes(stopping, ShapeEngines::RulesOnly), "y: float[2,3]\ntrace: float[?,2,3]\n");
}

// The type-constraint check (schema_check.h) lets through what the schemas allow: a Loop
// carrying values of different types (its V is not homogeneous), omitted optional inputs,
// a body input that reuses an outer name with another type.
TEST(ShapeRules, TypeConstraintsAcceptWhatTheSchemasAllow) {
  const char* model = R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[4] x, int64 n, float lo) => (float[4] total, int64 steps, float[4] clipped, float[1,1,4,4] big)
<int64[4] shape = {1, 1, 2, 2}, float[4] scales = {1, 1, 2, 2}>
{
  total, steps = Loop (n, , x, n) <body = step (int64 i, bool go, float[4] x, int64 count) => (bool more, float[4] next,
                                                                                             int64 counted)
  {
    more = Identity (go)
    next = Relu (x)
    counted = Add (count, i)
  }>
  clipped = Clip (x, lo, )
  square = Reshape (x, shape)
  big = Resize (square, , scales)
}
)";
  EXPECT_EQ(inferredTypes(model, ShapeEngines::OnnxThenRules),
            "total: float[4]\nsteps: int64[]\nclipped: float[4]\nsquare: float[1,1,2,2]\nbig: float[1,1,4,4]\n");
}

TEST(ShapeRules, ReshapeToAShapeOfAnotherSizeIsNamed) {
  EXPECT_EQ(inputErrorOf(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2,8,3,3] x) => (float[1,2,4,3,3] y)
<int64[5] shape = {1, 2, 4, 3, 3}>
{
  y = Reshape (x, shape)
}
)"),
            "node Reshape(y): cannot reshape 144 elements into shape [1,2,4,3,3] (72 elements)");
}

TEST(ShapeRules, ConvWeightThatDoesNotFitIsNamed) {
  EXPECT_EQ(inputErrorOf(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,8,4,4] x, float[6,3,1,1] w) => (float[1,6,4,4] y)
{
  y = Conv <group = 2> (x, w)
}
)"),
            "node Conv(y): weight 'w' expects 6 input channels (3 per group x group 2) but input 'x' has 8");
  EXPECT_EQ(inputErrorOf(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,8,4,4] x, float[6,2,1,1] w) => (float[1,6,4,4] y)
{
  y = Conv <group = 4> (x, w)
}
)"),
            "node Conv(y): weight 'w' has 6 output channels, not divisible by group 4");
}

TEST(ShapeRules, BroadcastMismatchIsNamed) {
  EXPECT_EQ(inputErrorOf(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2,3] a, float[2,4] b) => (float[2,3] c)
{
  c = Add (a, b)
}
)"),
            "node Add(c): shapes do not broadcast (dimension 1 is 3 in one input and 4 in the other)");
}

TEST(ShapeRules, InputShapeOverrideFixesDynamicDims) {
  Model model = parseModelText(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[N,3,H,W] x, float[8,3,3,3] w) => (float[N,8,H,W] y)
{
  y = Conv <pads = [1, 1, 1, 1]> (x, w)
}
)");
  applyInputShape(model, "x=1x3x48x192");
  inferShapes(model);
  EXPECT_EQ(typeText(model.graph->findValue("y")->type), "float[1,8,48,192]");
  EXPECT_THROW(applyInputShape(model, "x=1x4x48x192"), InputError);  // C is fixed to 3
  EXPECT_THROW(applyInputShape(model, "nope=1x3x4x4"), InputError);
  EXPECT_THROW(applyInputShape(model, "x=1x3x4"), InputError);
  EXPECT_THROW(applyInputShape(model, "x=1xAx4x4"), InputError);
}

// The rules alone must agree with libonnx on every shared model wherever both
// know a dim: they are what models of newer opsets get.
TEST(ShapeRules, AgreeWithOnnxOnSharedModels) {
  for (const auto& shared : testing::sharedModels()) {
    SCOPED_TRACE(shared.name);
    Model withOnnx = testing::loadSharedModelWithInputShape(shared);
    Model rulesOnly = testing::loadSharedModelWithInputShape(shared);
    inferShapes(withOnnx);
    inferShapes(rulesOnly, ShapeEngines::RulesOnly);
    int compared = 0;
    for (const Node* n : rulesOnly.graph->nodes()) {
      const Value* mine = n->output(0);
      const Value* onnx = withOnnx.graph->findValue(mine->name());
      if (!mine->type.hasStaticShape() || !onnx->type.hasStaticShape()) continue;
      EXPECT_EQ(mine->type.staticShape(), onnx->type.staticShape()) << n->label();
      ++compared;
    }
    EXPECT_GT(compared, 0);
  }
}

// ONNX's backend test models are valid: neither engine may reject one, and
// wherever both know an output's shape they agree.
TEST(ShapeRules, AcceptAndAgreeOnBackendTestModels) {
  std::filesystem::path root = "/usr/share/libonnx-testdata/data";
  if (!std::filesystem::exists(root)) GTEST_SKIP() << "libonnx-testdata is not installed";
  int models = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (entry.path().filename() != "model.onnx") continue;
    SCOPED_TRACE(entry.path().string());
    try {
      Model withOnnx = loadModel(entry.path());
      Model rulesOnly = loadModel(entry.path());
      inferShapes(withOnnx);
      inferShapes(rulesOnly, ShapeEngines::RulesOnly);
      for (const Node* n : rulesOnly.graph->nodes())
        for (const Value* mine : n->outputs()) {
          if (!mine) continue;  // an omitted optional output
          const Value* onnx = withOnnx.graph->findValue(mine->name());
          if (mine->type.hasStaticShape() && onnx->type.hasStaticShape()) {
            EXPECT_EQ(mine->type.staticShape(), onnx->type.staticShape()) << n->label() << " " << mine->name();
          }
        }
      ++models;
    } catch (const std::exception& e) {
      ADD_FAILURE() << e.what();
    }
  }
  EXPECT_GT(models, 1000);
}

}  // namespace
}  // namespace convopt::ir
