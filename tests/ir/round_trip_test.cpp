// Lossless import -> export over every shared model and ONNX's backend test
// models: the exported proto equals the original up to tensor encoding
// (exports always use raw_data), value_info order and unset-vs-default
// fields, and nothing else.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <google/protobuf/util/message_differencer.h>
#include <onnx/checker.h>
#include <onnx/onnx_pb.h>

#include "ir/onnx_io.h"
#include "ir/tensor_proto.h"

namespace convopt::ir {
namespace {

namespace fs = std::filesystem;

constexpr const char* kBackendTestData = "/usr/share/libonnx-testdata/data";

onnx::ModelProto readProto(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  onnx::ModelProto proto;
  EXPECT_TRUE(proto.ParseFromIstream(&in)) << path;
  return proto;
}

// Re-encodes every tensor as raw_data so that two encodings of the same
// bytes compare equal; recurses into subgraphs.
void canonicalizeTensors(onnx::GraphProto& g, const fs::path& baseDir);

void canonicalizeTensor(onnx::TensorProto& t, const fs::path& baseDir) {
  if (t.data_location() == onnx::TensorProto::EXTERNAL) return;
  onnx::TensorProto canonical;
  tensorToProto(tensorFromProto(t, baseDir), canonical);
  t = canonical;
}

void canonicalizeTensors(onnx::GraphProto& g, const fs::path& baseDir) {
  for (auto& t : *g.mutable_initializer()) canonicalizeTensor(t, baseDir);
  for (auto& n : *g.mutable_node())
    for (auto& a : *n.mutable_attribute()) {
      if (a.has_t()) canonicalizeTensor(*a.mutable_t(), baseDir);
      for (auto& t : *a.mutable_tensors()) canonicalizeTensor(t, baseDir);
      if (a.has_g()) canonicalizeTensors(*a.mutable_g(), baseDir);
      for (auto& sub : *a.mutable_graphs()) canonicalizeTensors(sub, baseDir);
    }
}

bool checkerAccepts(const onnx::ModelProto& proto) {
  try {
    onnx::checker::check_model(proto);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

void expectLosslessRoundTrip(const fs::path& path) {
  onnx::ModelProto original = readProto(path);
  Model model = importModel(original, path.parent_path());
  onnx::ModelProto exported = exportModel(model);

  // A second round trip is byte-identical: export is deterministic.
  EXPECT_EQ(exportModel(importModel(exported, path.parent_path())).SerializeAsString(), exported.SerializeAsString());
  if (checkerAccepts(original)) {
    EXPECT_TRUE(checkerAccepts(exported));
  }

  canonicalizeTensors(*original.mutable_graph(), path.parent_path());
  canonicalizeTensors(*exported.mutable_graph(), path.parent_path());
  google::protobuf::util::MessageDifferencer differencer;
  // An unset field and one set to its default mean the same to ONNX.
  differencer.set_message_field_comparison(google::protobuf::util::MessageDifferencer::EQUIVALENT);
  differencer.TreatAsSet(onnx::GraphProto::descriptor()->FindFieldByName("value_info"));
  std::string differences;
  differencer.ReportDifferencesToString(&differences);
  EXPECT_TRUE(differencer.Compare(original, exported)) << differences;
}

// Returns the number of models that round-tripped without an exception.
int expectLosslessRoundTrips(const std::vector<fs::path>& models) {
  int checked = 0;
  for (const fs::path& path : models) {
    SCOPED_TRACE(path.string());
    try {
      expectLosslessRoundTrip(path);
      ++checked;
    } catch (const std::exception& e) {
      ADD_FAILURE() << e.what();
    }
  }
  return checked;
}

std::vector<fs::path> modelsBelow(const fs::path& root) {
  std::vector<fs::path> models;
  if (!fs::exists(root)) return models;
  for (const auto& entry : fs::recursive_directory_iterator(root))
    if (entry.path().filename() == "model.onnx") models.push_back(entry.path());
  std::sort(models.begin(), models.end());
  return models;
}

// What the IR does not model comes back exactly (MessageDifferencer's default:
// a field set to its default value differs from one unset): ModelProto's and
// GraphProto's other fields, set or set to their defaults, and unknown fields.
TEST(RoundTrip, FieldsTheIrDoesNotModelComeBackAsTheyWere) {
  onnx::ModelProto original;
  original.set_ir_version(8);
  onnx::OperatorSetIdProto* opset = original.add_opset_import();
  opset->set_domain("");  // exports always write it
  opset->set_version(13);
  original.set_model_version(0);  // proto2: set, to its default
  original.set_domain("com.example");
  original.add_training_info()->mutable_algorithm()->set_name("train");
  original.mutable_unknown_fields()->AddVarint(999, 7);
  onnx::GraphProto* graph = original.mutable_graph();
  graph->set_name("g");
  graph->add_quantization_annotation()->set_tensor_name("x");
  graph->mutable_unknown_fields()->AddLengthDelimited(998, "kept");
  onnx::ValueInfoProto* x = graph->add_input();
  x->set_name("x");
  x->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  *graph->add_output() = *x;
  std::string difference;
  google::protobuf::util::MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&difference);
  EXPECT_TRUE(differencer.Compare(original, exportModel(importModel(original, ".")))) << difference;
}

TEST(RoundTrip, SharedModels) { EXPECT_EQ(expectLosslessRoundTrips(modelsBelow(CONVOPT_SHARED_MODELS)), 16); }

class BackendTestData : public ::testing::TestWithParam<const char*> {};

TEST_P(BackendTestData, RoundTripsLosslessly) {
  fs::path root = fs::path(kBackendTestData) / GetParam();
  std::vector<fs::path> models = modelsBelow(root);
  if (models.empty()) GTEST_SKIP() << "no models under " << root << " (libonnx-testdata not installed?)";
  EXPECT_EQ(expectLosslessRoundTrips(models), static_cast<int>(models.size()));
}

// real/ only holds download links in Debian's package, so it has no models to check.
INSTANTIATE_TEST_SUITE_P(Corpora, BackendTestData,
                         ::testing::Values("node", "pytorch-converted", "pytorch-operator", "simple"),
                         [](const auto& info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

}  // namespace
}  // namespace convopt::ir
