// Recurrent layers: RNN, GRU, LSTM (opsets 7-14): directions, sequence_lens,
// initial states, peepholes, clip, input_forget, linear_before_reset, layout
// and the activations / activation_alpha / activation_beta lists.
#include <algorithm>
#include <cmath>
#include <functional>

#include "runtime/reference/kernel.h"

namespace convopt::runtime::reference {
namespace {

using Activation = std::function<double(double)>;

enum class Cell { Rnn, Gru, Lstm };

// Builds the activation list (per direction) with alpha/beta consumed in order.
std::vector<Activation> activations(const KernelContext& ctx, const std::vector<std::string>& defaults, int64_t dirs) {
  const ir::Attribute* names = ctx.node.findAttribute("activations");
  std::vector<std::string> list = names ? names->strings : std::vector<std::string>{};
  if (list.empty())
    for (int64_t d = 0; d < dirs; ++d) list.insert(list.end(), defaults.begin(), defaults.end());
  const ir::Attribute* alphaAttr = ctx.node.findAttribute("activation_alpha");
  const ir::Attribute* betaAttr = ctx.node.findAttribute("activation_beta");
  std::vector<float> alphas = alphaAttr ? alphaAttr->floats : std::vector<float>{};
  std::vector<float> betas = betaAttr ? betaAttr->floats : std::vector<float>{};
  size_t ai = 0, bi = 0;
  auto next = [](std::vector<float>& v, size_t& i, double fallback) {
    return i < v.size() ? double(v[i++]) : fallback;
  };
  std::vector<Activation> out;
  for (const std::string& name : list) {
    if (name == "Sigmoid")
      out.push_back([](double x) { return 1 / (1 + std::exp(-x)); });
    else if (name == "Tanh")
      out.push_back([](double x) { return std::tanh(x); });
    else if (name == "Relu")
      out.push_back([](double x) { return std::max(0.0, x); });
    else if (name == "Softsign")
      out.push_back([](double x) { return x / (1 + std::fabs(x)); });
    else if (name == "Softplus")
      out.push_back([](double x) { return std::log1p(std::exp(x)); });
    else if (name == "LeakyRelu")
      out.push_back([a = next(alphas, ai, 0.01)](double x) { return x < 0 ? a * x : x; });
    else if (name == "ThresholdedRelu")
      out.push_back([a = next(alphas, ai, 1.0)](double x) { return x > a ? x : 0; });
    else if (name == "Elu")
      out.push_back([a = next(alphas, ai, 1.0)](double x) { return x < 0 ? a * std::expm1(x) : x; });
    else if (name == "HardSigmoid")
      out.push_back(
          [a = next(alphas, ai, 0.2), b = next(betas, bi, 0.5)](double x) { return std::clamp(a * x + b, 0.0, 1.0); });
    else if (name == "Affine")
      out.push_back([a = next(alphas, ai, 1.0), b = next(betas, bi, 0.0)](double x) { return a * x + b; });
    else if (name == "ScaledTanh")
      out.push_back([a = next(alphas, ai, 1.0), b = next(betas, bi, 1.0)](double x) { return a * std::tanh(b * x); });
    else
      ctx.fail("unknown activation '{}'", name);
  }
  if (int64_t(out.size()) != int64_t(defaults.size()) * dirs)
    ctx.fail("activations has {} entries, expected {}", out.size(), defaults.size() * dirs);
  return out;
}

Kernel recurrent(Cell cell) {
  return [cell](const KernelContext& ctx) {
    const int64_t gates = cell == Cell::Lstm ? 4 : cell == Cell::Gru ? 3 : 1;
    const Tensor& xIn = ctx.input(0);
    for (size_t i : {0, 1, 2})
      if (ctx.hasInput(i)) requireFloat(ctx, ctx.input(i), "X/W/R");
    const bool batchMajor = ctx.getInt("layout", 0) != 0;
    if (xIn.rank() != 3) ctx.fail("X must be 3-D");
    const int64_t seq = xIn.dims()[batchMajor ? 1 : 0], batch = xIn.dims()[batchMajor ? 0 : 1], inSize = xIn.dims()[2];
    const std::string direction = ctx.getString("direction", "forward");
    const int64_t dirs = direction == "bidirectional" ? 2 : 1;
    const int64_t hidden = ctx.getInt("hidden_size", ctx.input(2).dims().back());
    const Tensor& w = ctx.input(1);
    const Tensor& r = ctx.input(2);
    if (w.dims() != std::vector<int64_t>{dirs, gates * hidden, inSize} ||
        r.dims() != std::vector<int64_t>{dirs, gates * hidden, hidden})
      ctx.fail("W / R shapes do not match direction, hidden_size {} and input size {}", hidden, inSize);
    const std::vector<std::string> defaults = cell == Cell::Lstm  ? std::vector<std::string>{"Sigmoid", "Tanh", "Tanh"}
                                              : cell == Cell::Gru ? std::vector<std::string>{"Sigmoid", "Tanh"}
                                                                  : std::vector<std::string>{"Tanh"};
    const std::vector<Activation> act = activations(ctx, defaults, dirs);
    const double clip = ctx.getFloat("clip", 0.f);
    const bool inputForget = ctx.getInt("input_forget", 0) != 0,
               linearBeforeReset = ctx.getInt("linear_before_reset", 0) != 0;
    std::vector<int64_t> lens = ctx.hasInput(4) ? ctx.input(4).toInt64Vector() : std::vector<int64_t>(batch, seq);
    if (int64_t(lens.size()) != batch) ctx.fail("sequence_lens has {} values for batch {}", lens.size(), batch);
    for (int64_t len : lens)
      if (len < 0 || len > seq) ctx.fail("sequence length {} is outside [0, {}]", len, seq);
    const std::pair<size_t, int64_t> sizes[] = {
        {3, dirs * 2 * gates * hidden}, {5, dirs * batch * hidden}, {6, dirs * batch * hidden}, {7, dirs * 3 * hidden}};
    for (auto [input, count] : sizes)
      if (ctx.hasInput(input) && (ctx.input(input).numel() != count || ctx.input(input).dtype() != DType::Float))
        ctx.fail("input {} must be float with {} elements", input, count);
    const float* b = ctx.hasInput(3) ? ctx.input(3).data<float>().data() : nullptr;
    const float* h0 = ctx.hasInput(5) ? ctx.input(5).data<float>().data() : nullptr;
    const float* c0 = cell == Cell::Lstm && ctx.hasInput(6) ? ctx.input(6).data<float>().data() : nullptr;
    const float* peep = cell == Cell::Lstm && ctx.hasInput(7) ? ctx.input(7).data<float>().data() : nullptr;

    auto xAt = [&](int64_t t, int64_t n) {
      return xIn.data<float>().data() + (batchMajor ? n * seq + t : t * batch + n) * inSize;
    };
    Tensor y(DType::Float, batchMajor ? std::vector<int64_t>{batch, seq, dirs, hidden}
                                      : std::vector<int64_t>{seq, dirs, batch, hidden});
    Tensor yh(DType::Float,
              batchMajor ? std::vector<int64_t>{batch, dirs, hidden} : std::vector<int64_t>{dirs, batch, hidden});
    Tensor yc = yh;
    auto stateAt = [&](Tensor& t, int64_t d, int64_t n) {
      return t.data<float>().data() + (batchMajor ? n * dirs + d : d * batch + n) * hidden;
    };
    std::vector<double> xw(gates * hidden), hr(gates * hidden);
    for (int64_t d = 0; d < dirs; ++d) {
      const bool reverse = direction == "reverse" || d == 1;
      const float* wd = w.data<float>().data() + d * gates * hidden * inSize;
      const float* rd = r.data<float>().data() + d * gates * hidden * hidden;
      const Activation* f = &act[d * defaults.size()];
      for (int64_t n = 0; n < batch; ++n) {
        std::vector<double> h(hidden, 0), c(hidden, 0);
        for (int64_t j = 0; j < hidden; ++j) {
          const int64_t at = (batchMajor ? n * dirs + d : d * batch + n) * hidden + j;  // initial states follow layout
          if (h0) h[j] = h0[at];
          if (c0) c[j] = c0[at];
        }
        for (int64_t s = 0; s < lens[n]; ++s) {
          const int64_t t = reverse ? lens[n] - 1 - s : s;
          const float* x = xAt(t, n);
          for (int64_t g = 0; g < gates * hidden; ++g) {
            double a = b ? b[d * 2 * gates * hidden + g] : 0, e = b ? b[(d * 2 + 1) * gates * hidden + g] : 0;
            for (int64_t i = 0; i < inSize; ++i) a += double(wd[g * inSize + i]) * x[i];
            for (int64_t i = 0; i < hidden; ++i) e += double(rd[g * hidden + i]) * h[i];
            xw[g] = a, hr[g] = e;
          }
          auto clipped = [clip](double v) { return clip > 0 ? std::clamp(v, -clip, clip) : v; };
          std::vector<double> next(hidden);
          for (int64_t j = 0; j < hidden; ++j) {
            if (cell == Cell::Rnn) {
              next[j] = f[0](clipped(xw[j] + hr[j]));
            } else if (cell == Cell::Gru) {
              const double z = f[0](clipped(xw[j] + hr[j])), rg = f[0](clipped(xw[hidden + j] + hr[hidden + j]));
              double pre = xw[2 * hidden + j];
              if (linearBeforeReset) {
                pre += rg * hr[2 * hidden + j];
              } else {
                pre += b ? b[(d * 2 + 1) * gates * hidden + 2 * hidden + j] : 0;
                for (int64_t i = 0; i < hidden; ++i) pre += double(rd[(2 * hidden + j) * hidden + i]) * rg * h[i];
              }
              next[j] = (1 - z) * f[1](clipped(pre)) + z * h[j];
            } else {
              auto p = [&](int64_t k) { return peep ? double(peep[d * 3 * hidden + k * hidden + j]) : 0.0; };
              const double in = f[0](clipped(xw[j] + hr[j] + p(0) * c[j]));
              const double forget =
                  inputForget ? 1 - in : f[0](clipped(xw[2 * hidden + j] + hr[2 * hidden + j] + p(2) * c[j]));
              c[j] = forget * c[j] + in * f[1](clipped(xw[3 * hidden + j] + hr[3 * hidden + j]));
              const double out = f[0](clipped(xw[hidden + j] + hr[hidden + j] + p(1) * c[j]));
              next[j] = out * f[2](c[j]);
            }
          }
          h = next;
          float* yt =
              y.data<float>().data() + (batchMajor ? (n * seq + t) * dirs + d : (t * dirs + d) * batch + n) * hidden;
          for (int64_t j = 0; j < hidden; ++j) yt[j] = float(h[j]);
        }
        for (int64_t j = 0; j < hidden; ++j) stateAt(yh, d, n)[j] = float(h[j]), stateAt(yc, d, n)[j] = float(c[j]);
      }
    }
    std::vector<Tensor> outs{std::move(y), std::move(yh)};
    if (cell == Cell::Lstm) outs.push_back(std::move(yc));
    return outs;
  };
}

}  // namespace

void registerRecurrentKernels(KernelRegistry& r) {
  r.add("RNN", recurrent(Cell::Rnn));
  r.add("GRU", recurrent(Cell::Gru));
  r.add("LSTM", recurrent(Cell::Lstm));
}

}  // namespace convopt::runtime::reference
