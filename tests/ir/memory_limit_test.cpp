// The memory limit: sizes parsed as users write them, and every allocation a
// model's declared sizes ask for refused by name before it happens.
#include <gtest/gtest.h>

#include <functional>

#include <fmt/format.h>

#include "ir/error.h"
#include "ir/memory_limit.h"
#include "ir/onnx_io.h"
#include "ir/shape_inference.h"
#include "ir/tensor.h"

namespace convopt::ir {
namespace {

// Sets a limit for one test and restores the default after it.
struct ScopedMemoryLimit {
  explicit ScopedMemoryLimit(uint64_t bytes) { setMemoryLimit(bytes); }
  ~ScopedMemoryLimit() { setMemoryLimit(0); }
};

std::string errorOf(const std::function<void()>& action) {
  try {
    action();
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

TEST(MemoryLimit, SizesAreParsedAsUsersWriteThem) {
  EXPECT_EQ(parseByteSize("1048576"), 1048576u);
  EXPECT_EQ(parseByteSize("64k"), 64u << 10);
  EXPECT_EQ(parseByteSize("512M"), 512u << 20);
  EXPECT_EQ(parseByteSize("4G"), uint64_t(4) << 30);
  EXPECT_EQ(parseByteSize("1.5GiB"), uint64_t(3) << 29);
  EXPECT_EQ(parseByteSize("2TB"), uint64_t(2) << 40);
  for (const char* bad : {"", "G", "-1G", "0", "4X", "4GG", "lots", "1e30T"})
    EXPECT_EQ(errorOf([&] { parseByteSize(bad); }),
              fmt::format("'{}' is not a memory size (examples: 512M, 4G, 1.5GiB, 1048576)", bad));
}

TEST(MemoryLimit, DefaultIsHalfOfPhysicalMemory) {
  EXPECT_GT(memoryLimit(), uint64_t(64) << 20);
  ScopedMemoryLimit limit(12345);
  EXPECT_EQ(memoryLimit(), 12345u);
}

TEST(MemoryLimit, DeclaredValueOverTheLimitIsNamed) {
  Model model = parseModelText(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,16,256,256] x) => (float[1,16,256,256] y)
{
  y = Relu (x)
}
)");
  inferShapes(model);
  ScopedMemoryLimit limit(uint64_t(1) << 20);
  EXPECT_EQ(errorOf([&] { checkDeclaredSizes(*model.graph); }),
            "value 'x' ([1x16x256x256] float) needs 4 MiB, over the memory limit of 1 MiB (raise it with "
            "--max-memory)");
  setMemoryLimit(uint64_t(4) << 20);
  EXPECT_EQ(errorOf([&] { checkDeclaredSizes(*model.graph); }), "no error");
}

TEST(MemoryLimit, TensorsAllocatedAtRunTimeAreCheckedToo) {
  ScopedMemoryLimit limit(uint64_t(1) << 20);
  EXPECT_EQ(errorOf([] {
              Tensor(DType::Float, {1024, 1024});
            }),
            "a tensor of shape [1024x1024] float needs 4 MiB, over the memory limit of 1 MiB (raise it with "
            "--max-memory)");
  EXPECT_EQ(errorOf([] { Tensor(DType::Float, {512, 512}); }), "no error");
  EXPECT_EQ(errorOf([] {
              Tensor(DType::Double, {int64_t(1) << 60, 4});
            }),
            "a tensor of shape [1152921504606846976x4] double needs more than 16 EiB, over the memory limit of 1 MiB "
            "(raise it with --max-memory)");
}

}  // namespace
}  // namespace convopt::ir
