// Node attributes. The kinds passes and kernels read are modelled, subgraphs
// (If/Loop/Scan bodies) included; the others (sparse tensors, type protos,
// references to function attributes) are kept as the serialized AttributeProto
// so that export is lossless.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ir/tensor.h"

namespace convopt::ir {

class Graph;

// An owned subgraph with value semantics: copying an attribute copies its body.
class Subgraph {
 public:
  explicit Subgraph(std::unique_ptr<Graph> graph);
  Subgraph(const Subgraph& other);
  Subgraph& operator=(const Subgraph& other);
  Subgraph(Subgraph&&) noexcept;
  Subgraph& operator=(Subgraph&&) noexcept;
  ~Subgraph();

  Graph& operator*() const { return *graph_; }
  Graph* operator->() const { return graph_.get(); }

 private:
  std::unique_ptr<Graph> graph_;
};

enum class AttrKind { Float, Int, String, Tensor, Floats, Ints, Strings, Tensors, Graph, Graphs, Opaque };

struct Attribute {
  std::string name;
  AttrKind kind = AttrKind::Int;
  float f = 0;
  int64_t i = 0;
  std::string s;
  Tensor t;
  std::vector<float> floats;
  std::vector<int64_t> ints;
  std::vector<std::string> strings;
  std::vector<Tensor> tensors;
  std::vector<Subgraph> graphs;  // AttrKind::Graph: exactly one
  std::string opaqueProto;       // AttrKind::Opaque: serialized onnx::AttributeProto
  std::string docString;

  static Attribute makeInt(std::string name, int64_t value);
  static Attribute makeInts(std::string name, std::vector<int64_t> values);
  static Attribute makeFloat(std::string name, float value);
  static Attribute makeString(std::string name, std::string value);
  static Attribute makeTensor(std::string name, Tensor value);
};

}  // namespace convopt::ir
