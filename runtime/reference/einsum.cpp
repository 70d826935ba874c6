// Einsum: explicit ("ij,jk->ik") and implicit ("ij,jk") equations, repeated
// indices (diagonals), and "..." broadcasting. Evaluated as one loop over
// every assignment of the equation's letters: obviously correct, fine for the
// small contractions reference checks need.
#include <map>

#include "runtime/reference/broadcast.h"

namespace convopt::runtime::reference {
namespace {

// Replaces "..." in each term by capital letters standing for broadcast dims
// (rank of the ellipsis = term rank - its letters), aligned on the right.
std::vector<std::string> expandEllipses(const KernelContext& ctx, std::vector<std::string> terms,
                                        const std::vector<const Tensor*>& operands, size_t& ellipsisRank) {
  ellipsisRank = 0;
  for (size_t i = 0; i < operands.size(); ++i) {
    size_t pos = terms[i].find("...");
    int64_t letters = int64_t(terms[i].size()) - (pos == std::string::npos ? 0 : 3);
    if (pos == std::string::npos) {
      if (letters != operands[i]->rank())
        ctx.fail("term '{}' does not match an operand of rank {}", terms[i], operands[i]->rank());
      continue;
    }
    if (operands[i]->rank() < letters) ctx.fail("term '{}' has more letters than its operand's rank", terms[i]);
    ellipsisRank = std::max<size_t>(ellipsisRank, size_t(operands[i]->rank() - letters));
  }
  auto expand = [&](std::string& term, size_t rank) {
    size_t pos = term.find("...");
    if (pos == std::string::npos) return;
    std::string letters;
    for (size_t k = ellipsisRank - rank; k < ellipsisRank; ++k) letters += char('A' + k);
    term.replace(pos, 3, letters);
  };
  for (size_t i = 0; i < operands.size(); ++i)
    expand(terms[i],
           terms[i].find("...") == std::string::npos ? 0 : size_t(operands[i]->rank()) - (terms[i].size() - 3));
  if (terms.size() > operands.size()) expand(terms.back(), ellipsisRank);
  return terms;
}

std::vector<Tensor> einsum(const KernelContext& ctx) {
  std::string equation;
  for (char ch : ctx.getString("equation", ""))
    if (ch != ' ') equation += ch;
  std::vector<const Tensor*> operands;
  for (size_t i = 0; i < ctx.numInputs(); ++i) operands.push_back(&ctx.input(i));
  const size_t arrow = equation.find("->");
  std::vector<std::string> terms;
  for (size_t start = 0, end;; start = end + 1) {
    end = std::min(equation.find(',', start), arrow);
    terms.push_back(equation.substr(start, end - start));
    if (end == arrow || end == std::string::npos) break;
  }
  if (terms.size() != operands.size())
    ctx.fail("equation '{}' has {} terms for {} inputs", equation, terms.size(), operands.size());
  if (arrow != std::string::npos) terms.push_back(equation.substr(arrow + 2));
  size_t ellipsisRank = 0;
  terms = expandEllipses(ctx, terms, operands, ellipsisRank);
  if (arrow == std::string::npos) {  // implicit output: ellipsis dims, then letters used once, alphabetically
    std::map<char, int> uses;
    for (const std::string& t : terms)
      for (char ch : t) ++uses[ch];
    std::string out;
    for (auto [ch, n] : uses)
      if (n == 1 || (ch >= 'A' && ch <= 'Z')) out += ch;
    terms.push_back(out);
  }
  // Sizes of every letter (1 broadcasts against anything).
  std::map<char, int64_t> size;
  for (size_t i = 0; i < operands.size(); ++i)
    for (size_t k = 0; k < terms[i].size(); ++k) {
      int64_t d = operands[i]->dims()[k];
      int64_t& s = size.try_emplace(terms[i][k], d).first->second;
      if (s == 1)
        s = d;
      else if (d != s && d != 1)
        ctx.fail("letter '{}' has sizes {} and {}", terms[i][k], s, d);
    }
  std::string letters;
  for (auto [ch, s] : size) letters += ch;
  const std::string& outTerm = terms.back();
  std::vector<int64_t> outDims, loopDims;
  for (char ch : outTerm) {
    if (!size.count(ch)) ctx.fail("output letter '{}' is not in any input", ch);
    outDims.push_back(size[ch]);
  }
  // Loop order: output letters first, then the summed ones.
  std::string order = outTerm;
  for (char ch : letters)
    if (outTerm.find(ch) == std::string::npos) order += ch;
  for (char ch : order) loopDims.push_back(size[ch]);
  // Per operand: element stride for each loop letter (0 if absent or broadcast).
  std::vector<std::vector<int64_t>> strides(operands.size(), std::vector<int64_t>(order.size(), 0));
  for (size_t i = 0; i < operands.size(); ++i) {
    std::vector<int64_t> own = stridesOf(operands[i]->dims());
    for (size_t k = 0; k < terms[i].size(); ++k)
      if (operands[i]->dims()[k] != 1) strides[i][order.find(terms[i][k])] += own[k];
  }
  return {dispatchNumeric(ctx, operands[0]->dtype(), [&](auto tag) {
    using T = decltype(tag);
    Tensor out(operands[0]->dtype(), outDims);
    auto o = out.data<T>();
    const int64_t summed = product(std::span(loopDims).subspan(outTerm.size()));
    std::vector<int64_t> index(order.size(), 0);
    for (int64_t flat = 0; flat < product(loopDims); ++flat) {
      T term = 1;
      for (size_t i = 0; i < operands.size(); ++i) {
        int64_t offset = 0;
        for (size_t k = 0; k < order.size(); ++k) offset += index[k] * strides[i][k];
        term = static_cast<T>(term * operands[i]->data<T>()[offset]);
      }
      o[flat / summed] = static_cast<T>(o[flat / summed] + term);
      for (size_t k = order.size(); k-- > 0 && ++index[k] == loopDims[k];) index[k] = 0;
    }
    return out;
  })};
}

}  // namespace

void registerEinsumKernels(KernelRegistry& r) { r.add("Einsum", einsum); }

}  // namespace convopt::runtime::reference
