// Reading a ConvSpec off a Conv node: the one place the graph meets the conv
// kernels' spec (emitters under conv/ never see the graph).
#pragma once
#include "codegen/conv/conv_spec.h"
#include "ir/graph.h"

namespace convopt::codegen {

// Spec of a 2-D Conv node whose input and output shapes are static (the
// epilogue is left empty). Throws InputError naming the node otherwise.
ConvSpec convSpecFromNode(const ir::Node& node);

}  // namespace convopt::codegen
