// The tuning cache (codegen/engine/tuning_cache.h): where it lives, what it
// keeps per host key, and that a damaged file is measured afresh, not an error.
#include <gtest/gtest.h>

#include <cstdlib>

#include "codegen/engine/tuning_cache.h"
#include "tests/support/cli_helpers.h"
#include "tests/support/ir_temp_dir.h"

namespace convopt::codegen {
namespace {

TEST(TuningCache, LivesInTheUsersCacheFolder) {
  ::setenv("HOME", "/home/someone", 1);
  ::unsetenv("XDG_CACHE_HOME");
  ::unsetenv("CONVOPT_CACHE_DIR");
  EXPECT_EQ(tuningCachePath(), "/home/someone/.cache/convopt/tuning.json");
  ::setenv("XDG_CACHE_HOME", "/xdg", 1);
  EXPECT_EQ(tuningCachePath(), "/xdg/convopt/tuning.json");
  ::setenv("CONVOPT_CACHE_DIR", "/tmp/mine", 1);
  EXPECT_EQ(tuningCachePath(), "/tmp/mine/tuning.json");
}

TEST(TuningCache, KeepsEachHostsTilesAndMergesNewOnes) {
  testing::TempDir dir;
  std::filesystem::path file = dir / "sub" / "tuning.json";
  EXPECT_TRUE(loadWinogradTiles(file, "a").empty());  // no file yet
  storeWinogradTiles(file, "a", {{"layer1", 4}, {"layer2", 0}});
  storeWinogradTiles(file, "b", {{"layer1", 2}});
  storeWinogradTiles(file, "a", {{"layer2", 2}, {"layer3", 0}});
  EXPECT_EQ(loadWinogradTiles(file, "a"), (std::map<std::string, int>{{"layer1", 4}, {"layer2", 2}, {"layer3", 0}}));
  EXPECT_EQ(loadWinogradTiles(file, "b"), (std::map<std::string, int>{{"layer1", 2}}));
  EXPECT_TRUE(loadWinogradTiles(file, "c").empty());
}

TEST(TuningCache, AHostKeySaysCpuFeaturesAndThreads) {
  Target target = selectTarget("x86-64-v3");
  std::string key = tuningHostKey(target, 2);
  EXPECT_NE(key.find("x86-64-v3"), std::string::npos) << key;
  EXPECT_NE(key.find("2 thread(s)"), std::string::npos) << key;
  EXPECT_NE(key, tuningHostKey(target, 1));
  Target other = target;
  other.features = "+avx2,-avx512f";
  EXPECT_NE(tuningHostKey(other, 2), key);
}

TEST(TuningCache, ADamagedFileIsMeasuredAfresh) {
  testing::TempDir dir;
  std::filesystem::path file = dir / "tuning.json";
  const std::pair<const char*, std::map<std::string, int>> cases[] = {
      {"{not json", {}},
      {"[1, 2]", {}},
      {R"({"version": 99, "hosts": {"a": {"winograd": {"l": 4}}}})", {}},  // another format
      {R"({"version": 1, "hosts": {"a": {"winograd": {"l": 3, "m": "4", "n": 2}}}})", {{"n", 2}}},  // not tiles
  };
  for (const auto& [text, valid] : cases) {
    SCOPED_TRACE(text);
    testing::writeFile(file, text);
    EXPECT_EQ(loadWinogradTiles(file, "a"), valid);
    storeWinogradTiles(file, "a", {{"l", 4}});  // replaces what it could not read
    EXPECT_EQ(loadWinogradTiles(file, "a").at("l"), 4);
  }
}

}  // namespace
}  // namespace convopt::codegen
