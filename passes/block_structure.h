// Discovering group structure in a Conv weight from its exact zeros.
//
// Think of the conv as a bipartite graph: output channel o and input channel i
// are joined when o reads i through a nonzero weight (a conv of G groups: only
// within o's group, whose W[o, i - (group start), :] is nonzero). The conv is
// exactly a grouped conv with g groups when the channels split into g blocks
// of C_in/g inputs and C_out/g outputs with no edge between blocks.
//   - contiguous: block b holds inputs [b*C_in/g, (b+1)*C_in/g) and outputs
//     [b*C_out/g, ...); the largest such g is found by testing every common
//     divisor of C_in and C_out;
//   - permuted: the blocks are the connected components of the graph (a zero
//     output row, or an input channel nothing reads, is one alone), packed into
//     the most groups of equal input and output counts, whole components in
//     each (zero between them: still exact); the channels must then be
//     reordered (inOrder / outOrder).
// A conv's own G groups are such a structure, so a grouped conv is split
// further only into more than G groups. Only exact zeros count: a nearly-zero
// block is an edge, so nothing inexact is ever rewritten.
#pragma once
#include <cstdint>
#include <vector>

#include "passes/conv_utils.h"

namespace convopt::passes {

struct BlockStructure {
  int64_t groups = 1;
  // Original channel at each position of the grouped conv's channel order:
  // block b is positions [b*n/g, (b+1)*n/g). Identity when contiguous.
  std::vector<int64_t> inOrder;
  std::vector<int64_t> outOrder;
  bool contiguous = true;
};

struct BlockSearch {
  // Structures of more groups than the conv has, most groups first: the
  // permuted packing, then the contiguous one when it has fewer groups (its
  // permutation may be refused or cost more than the groups it adds save).
  std::vector<BlockStructure> candidates;
  int64_t blocks = 1;  // the connected blocks the zeros separate
};

BlockSearch findBlockStructures(const ConstantConv& conv);

// The grouped weight [C_out, C_in/g, k...] for the structure (outputs in outOrder).
std::vector<float> groupedWeight(const ConstantConv& conv, const BlockStructure& blocks);
// Max relative error of the conv's weight rebuilt from the grouped one.
double groupedReconstructionError(const ConstantConv& conv, const BlockStructure& blocks,
                                  const std::vector<float>& grouped);

}  // namespace convopt::passes
