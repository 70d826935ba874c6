// External data: large tensors written to a side file and read back
// byte-equal; locations outside the model's folder or past the end rejected.
#include <gtest/gtest.h>

#include <fstream>

#include <onnx/onnx_pb.h>

#include "ir/error.h"
#include "ir/onnx_io.h"
#include "tests/support/ir_external_model.h"
#include "tests/support/ir_shared_models.h"
#include "tests/support/ir_temp_dir.h"

namespace convopt::ir {
namespace {

namespace fs = std::filesystem;

TEST(ExternalData, WrittenAndReadBackByteEqual) {
  testing::TempDir dir;
  fs::path source = fs::path(CONVOPT_SHARED_MODELS) / "mobilenet_v2_lite" / "model.onnx";
  Model original = loadModel(source);
  saveModel(original, dir / "m.onnx", {.externalDataThreshold = 1024});

  ASSERT_TRUE(fs::exists(dir / "m.onnx.data"));
  EXPECT_LT(fs::file_size(dir / "m.onnx"), fs::file_size(source) / 2);  // the weights moved out
  Model reread = loadModel(dir / "m.onnx");
  ASSERT_EQ(reread.graph->initializers().size(), original.graph->initializers().size());
  for (const Value* v : original.graph->initializers()) {
    const Value* back = reread.graph->findValue(v->name());
    ASSERT_NE(back, nullptr) << v->name();
    EXPECT_TRUE(back->initializer()->sameContents(*v->initializer())) << v->name();
  }
  // Nothing but the model and its data file is left behind (no temp files).
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 2);
}

// A threshold no tensor reaches writes the model alone: no empty data file.
TEST(ExternalData, NoTensorAtTheThresholdWritesNoDataFile) {
  testing::TempDir dir;
  Model original = loadModel(fs::path(CONVOPT_SHARED_MODELS) / "mobilenet_v2_lite" / "model.onnx");
  saveModel(original, dir / "m.onnx", {.externalDataThreshold = size_t(1) << 40});
  EXPECT_TRUE(fs::exists(dir / "m.onnx"));
  EXPECT_FALSE(fs::exists(dir / "m.onnx.data"));
  EXPECT_EQ(loadModel(dir / "m.onnx").graph->initializers().size(), original.graph->initializers().size());
}

// Writes the test model whose initializer 'w' is stored externally at `location`.
void writeExternalModel(const fs::path& modelPath, const std::string& location, int64_t offset, int64_t length) {
  std::ofstream(modelPath, std::ios::binary) << testing::externalDataModelBytes(location, offset, length);
}

void writeBytes(const fs::path& path, size_t count) {
  std::ofstream file(path, std::ios::binary);
  std::string bytes(count, '\1');
  file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string loadError(const fs::path& path) {
  try {
    loadModel(path);
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

TEST(ExternalData, InRangeDataIsRead) {
  testing::TempDir dir;
  writeBytes(dir / "w.bin", 32);
  writeExternalModel(dir / "m.onnx", "w.bin", 16, 16);
  Model model = loadModel(dir / "m.onnx");
  EXPECT_EQ(model.graph->findValue("w")->initializer()->byteSize(), 16u);
}

TEST(ExternalData, LocationOutsideTheModelsFolderIsRejected) {
  testing::TempDir dir;
  fs::create_directory(dir / "model");
  writeBytes(dir / "secret.bin", 16);
  writeExternalModel(dir / "model" / "m.onnx", "../secret.bin", 0, 16);
  EXPECT_EQ(loadError(dir / "model" / "m.onnx"),
            (dir / "model" / "m.onnx").string() +
                ": tensor 'w': external data location '../secret.bin' is outside the model's folder");
  writeExternalModel(dir / "model" / "m.onnx", (dir / "secret.bin").string(), 0, 16);
  EXPECT_NE(loadError(dir / "model" / "m.onnx").find("is outside the model's folder"), std::string::npos);
}

TEST(ExternalData, DataPastTheEndOfTheFileIsRejected) {
  testing::TempDir dir;
  writeBytes(dir / "w.bin", 20);
  writeExternalModel(dir / "m.onnx", "w.bin", 8, 16);
  EXPECT_EQ(loadError(dir / "m.onnx"), (dir / "m.onnx").string() +
                                           ": tensor 'w': external data (offset 8, length 16) runs past the end of "
                                           "'w.bin' (20 bytes)");
}

TEST(ExternalData, MissingFileAndWrongLengthAreRejected) {
  testing::TempDir dir;
  writeExternalModel(dir / "m.onnx", "absent.bin", 0, 16);
  EXPECT_NE(loadError(dir / "m.onnx").find("external data file 'absent.bin' does not exist"), std::string::npos);
  writeBytes(dir / "w.bin", 20);
  writeExternalModel(dir / "m.onnx", "w.bin", 0, 12);
  EXPECT_NE(loadError(dir / "m.onnx").find("tensor 'w': data holds 12 bytes but shape [4] of float needs 16"),
            std::string::npos);
}

// A symlink is followed, then judged by where it lands.
TEST(ExternalData, SymlinkInsideTheModelsFolderIsFollowed) {
  testing::TempDir dir;
  fs::create_directory(dir / "weights");
  writeBytes(dir / "weights" / "w.bin", 16);
  fs::create_symlink("weights/w.bin", dir / "link.bin");
  writeExternalModel(dir / "m.onnx", "link.bin", 0, 16);
  EXPECT_EQ(loadModel(dir / "m.onnx").graph->findValue("w")->initializer()->byteSize(), 16u);
}

}  // namespace
}  // namespace convopt::ir
