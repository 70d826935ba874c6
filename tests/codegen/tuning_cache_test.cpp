// The tuning cache (codegen/engine/tuning_cache.h): where it lives, what it
// keeps per host key, and that a damaged file is measured afresh, not an error.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <optional>
#include <string>

#include "codegen/engine/measured_choices.h"
#include "codegen/engine/tuning_cache.h"
#include "ir/error.h"
#include "tests/support/cli_helpers.h"
#include "tests/support/ir_temp_dir.h"
#include "tests/support/scoped_environment.h"

namespace convopt::codegen {
namespace {

using Environment = testing::ScopedEnvironment;

TEST(TuningCache, LivesInTheUsersCacheFolder) {
  Environment env;
  env.set("HOME", "/home/someone");
  env.set("XDG_CACHE_HOME", nullptr);
  env.set("CONVOPT_CACHE_DIR", nullptr);
  EXPECT_EQ(tuningCachePath(), "/home/someone/.cache/convopt/tuning.json");
  env.set("XDG_CACHE_HOME", "/xdg");
  EXPECT_EQ(tuningCachePath(), "/xdg/convopt/tuning.json");
  env.set("CONVOPT_CACHE_DIR", "/tmp/mine");
  EXPECT_EQ(tuningCachePath(), "/tmp/mine/tuning.json");
  env.set("CONVOPT_CACHE_DIR", nullptr);
  env.set("XDG_CACHE_HOME", nullptr);
  env.set("HOME", "");
  EXPECT_EQ(tuningCachePath(), "");  // nowhere: nothing is read, and storing says to set a folder
  EXPECT_TRUE(loadWinogradTiles(tuningCachePath(), "a").empty());
  EXPECT_THROW(storeWinogradTiles(tuningCachePath(), "a", {{"l", 4}}), InputError);
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

TEST(TuningCache, KeepsTheConvVariantsBesideTheTilesAndSkipsUnknownNames) {
  testing::TempDir dir;
  std::filesystem::path file = dir / "tuning.json";
  storeWinogradTiles(file, "a", {{"layer1", 4}});
  storeConvVariants(file, "a", {{"layer2", ConvVariant::OneReductionSweep}, {"layer3", ConvVariant::Heuristic}});
  storeConvVariants(file, "a", {{"layer3", ConvVariant::OtherUnitOrder}, {"layer4", ConvVariant::NoStepUnroll}});
  EXPECT_EQ(loadConvVariants(file, "a"), (std::map<std::string, ConvVariant>{{"layer2", ConvVariant::OneReductionSweep},
                                                                             {"layer3", ConvVariant::OtherUnitOrder},
                                                                             {"layer4", ConvVariant::NoStepUnroll}}));
  EXPECT_EQ(loadWinogradTiles(file, "a"), (std::map<std::string, int>{{"layer1", 4}}));
  std::ofstream(file)
      << R"({"version": 1, "hosts": {"a": {"variants": {"l1": "one-sweep", "l2": "fastest", "l3": 2}}}})";
  EXPECT_EQ(loadConvVariants(file, "a"), (std::map<std::string, ConvVariant>{{"l1", ConvVariant::OneReductionSweep}}));
}

TEST(TuningCache, AHostKeySaysTheHostTheTargetAndTheThreads) {
  Target host = selectTarget();
  std::string key = tuningHostKey("", 2);
  EXPECT_TRUE(key.starts_with(host.triple + " " + host.cpu + " features-")) << key;
  EXPECT_TRUE(key.ends_with(" for host, 2 thread(s)")) << key;
  EXPECT_NE(tuningHostKey("", 1), key);
  // Another target measured on this host is keyed by both.
  std::string avx2 = tuningHostKey("x86-64-v3", 2);
  EXPECT_EQ(avx2.substr(0, avx2.find(" for ")), key.substr(0, key.find(" for ")));
  EXPECT_TRUE(avx2.ends_with(" for x86-64-v3, 2 thread(s)")) << avx2;
}

TEST(TuningCache, ADamagedFileIsMeasuredAfresh) {
  testing::TempDir dir;
  std::filesystem::path file = dir / "tuning.json";
  const std::pair<const char*, std::map<std::string, int>> cases[] = {
      {"{not json", {}},
      {"[1, 2]", {}},
      {"{}", {}},
      {R"({"version": 1})", {}},
      {R"({"version": 99, "hosts": {"a": {"winograd": {"l": 4}}}})", {}},  // another format
      {R"({"version": "1", "hosts": {"a": {"winograd": {"l": 4}}}})", {}},
      {R"({"version": 1, "hosts": []})", {}},
      {R"({"version": 1, "hosts": {"a": []}})", {}},
      {R"({"version": 1, "hosts": {"a": {"winograd": [4]}}})", {}},
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

TEST(TuningCache, KeepsTheHostsPeaksBesideItsTiles) {
  testing::TempDir dir;
  std::filesystem::path file = dir / "tuning.json";
  EXPECT_FALSE(loadHostPeaks(file, "a"));
  storeWinogradTiles(file, "a", {{"l", 4}});
  storeHostPeaks(file, "a", {222.5, 29.5});
  std::optional<HostPeaks> peaks = loadHostPeaks(file, "a");
  ASSERT_TRUE(peaks);
  EXPECT_EQ(peaks->fmaGflops, 222.5);
  EXPECT_EQ(peaks->copyGbps, 29.5);
  EXPECT_EQ(loadWinogradTiles(file, "a").at("l"), 4);  // one does not replace the other
  EXPECT_FALSE(loadHostPeaks(file, "b"));
  testing::writeFile(file, R"({"version": 1, "hosts": {"a": {"peaks": {"fma_gflops": -1, "copy_gbps": 3}}}})");
  EXPECT_FALSE(loadHostPeaks(file, "a"));  // damaged: measured afresh
}

// Machines without measurements of their own take the table checked in per
// CPU family (codegen/engine/tuning_defaults.json): keyed by LLVM CPU name and
// thread count, in the cache's format.
TEST(TuningDefaults, AreKeyedByTheTargetCpuAndThreads) {
  EXPECT_EQ(tuningFamilyKey("znver5", 2), "znver5, 2 thread(s)");
}

TEST(TuningDefaults, HoldZen5sMeasuredChoicesAtOneThread) {
  std::map<std::string, int> zen5 = defaultWinogradTiles("znver5, 1 thread(s)");
  // resnet18_w025's 16-channel 56x56 layer, which the estimate keeps direct, ran 1.8x faster as F(4x4).
  EXPECT_EQ(zen5.at("n1_conv3x3_s1_d1_g1_c16x56x56_o16_p1_1_1_1"), 4);
  // A 2-vCPU VM's 2-thread choices do not carry over to a machine whose cores share a cache: none checked in.
  EXPECT_TRUE(defaultWinogradTiles("znver5, 2 thread(s)").empty());
  EXPECT_TRUE(defaultWinogradTiles("no-such-cpu, 1 thread(s)").empty());
}

// Code for a CPU takes the table of its family on whatever machine it is
// generated, and over it what this host measured at that thread count; code
// for another triple none of the host's measurements. Tiles only under --winograd auto.
TEST(MeasuredChoices, TakeTheTargetsFamilyTableThenTheHostsOwnMeasurements) {
  if (!selectTarget().triple.starts_with("x86_64")) GTEST_SKIP() << "code for znver5 needs an x86-64 host";
  testing::TempDir dir;
  Environment env;
  env.set("CONVOPT_CACHE_DIR", dir.path().c_str());
  const std::string zen5Layer = "n1_conv3x3_s1_d1_g1_c16x56x56_o16_p1_1_1_1";
  MeasuredChoices zen5 = measuredChoices("znver5", "", 1, WinogradUse::Auto);
  EXPECT_EQ(zen5.familyKey, "znver5, 1 thread(s)");
  EXPECT_EQ(zen5.winogradTiles.at(zen5Layer), 4);
  EXPECT_GE(zen5.fromFamily, 17u);
  EXPECT_EQ(zen5.fromHost, 0u);
  EXPECT_TRUE(measuredChoices("znver5", "", 1, WinogradUse::Never).winogradTiles.empty());

  storeWinogradTiles(tuningCachePath(), tuningHostKey("znver5", 1), {{zen5Layer, 2}, {"other", 0}});
  storeConvVariants(tuningCachePath(), tuningHostKey("znver5", 1), {{"other", ConvVariant::NoStepUnroll}});
  MeasuredChoices measured = measuredChoices("znver5", "", 1, WinogradUse::Auto);
  EXPECT_EQ(measured.winogradTiles.at(zen5Layer), 2);  // the host's over the table's
  EXPECT_EQ(measured.convVariants.at("other"), ConvVariant::NoStepUnroll);
  EXPECT_EQ(measured.fromHost, 3u);
  EXPECT_TRUE(measuredChoices("znver5", "", 2, WinogradUse::Auto).winogradTiles.empty());  // another thread count

  // The host's own measurements ("for host") go to code for the host's triple only.
  storeWinogradTiles(tuningCachePath(), tuningHostKey("", 1), {{zen5Layer, 2}});
  EXPECT_EQ(measuredChoices("", "", 1, WinogradUse::Auto).fromHost, 1u);
  MeasuredChoices arm = measuredChoices("", "aarch64-linux-gnu", 1, WinogradUse::Auto);
  EXPECT_EQ(arm.familyKey, "generic, 1 thread(s)");
  EXPECT_EQ(arm.fromHost + arm.fromFamily, 0u);
  EXPECT_FALSE(arm.hostCode);
  EXPECT_TRUE(measured.hostCode);
}

}  // namespace
}  // namespace convopt::codegen
