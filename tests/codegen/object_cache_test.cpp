// The kernel object cache (codegen/engine/object_cache.h): what a key depends
// on, that a damaged entry is a miss, that the least recently used entries go
// past the capacity, that a folder which cannot be written is no error, and an
// engine taking a model's kernels from it.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <fstream>

#include "codegen/engine/jit_engine.h"
#include "codegen/engine/object_cache.h"
#include "ir/onnx_io.h"
#include "tests/support/codegen_reference_check.h"
#include "tests/support/ir_temp_dir.h"
#include "tests/support/scoped_environment.h"
#include "tests/support/target_cpus.h"

namespace convopt::codegen {
namespace {

namespace fs = std::filesystem;
using convopt::testing::ScopedEnvironment;
using convopt::testing::TempDir;

std::vector<fs::path> entriesIn(const fs::path& folder) {
  std::vector<fs::path> entries;
  std::error_code missing;
  for (const auto& file : fs::directory_iterator(folder, missing)) entries.push_back(file.path());
  return entries;
}

TEST(ObjectCache, KeepsTheObjectsStoredUnderAKey) {
  TempDir dir;
  ObjectCache cache(dir / "kernels", "build-1");
  EXPECT_EQ(cache.load("k1"), std::nullopt);
  cache.store("k1", {"first object", "", "third"});
  cache.store("k2", {"other"});
  EXPECT_EQ(cache.load("k1"), (std::vector<std::string>{"first object", "", "third"}));
  EXPECT_EQ(cache.load("k2"), (std::vector<std::string>{"other"}));
  std::optional<std::vector<std::string>> other = ObjectCache(dir / "kernels", "build-2").load("k1");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->size(), 3u);  // the key, not the cache, says which build
}

TEST(ObjectCache, KeyChangesWithTheBitcodeTheTargetAndTheBuild) {
  Target target = selectTarget();
  ObjectCache cache("unused", "build-1");
  std::string key = cache.key("bitcode", target);
  EXPECT_EQ(key.size(), 32u);
  EXPECT_EQ(cache.key("bitcode", target), key);
  EXPECT_NE(cache.key("bitcodf", target), key);
  EXPECT_NE(ObjectCache("unused", "build-2").key("bitcode", target), key);
  for (std::string Target::*field : {&Target::triple, &Target::cpu, &Target::features}) {
    Target other = target;
    other.*field += "x";
    EXPECT_NE(cache.key("bitcode", other), key);
  }
  // The parts are delimited: moving a character between two of them changes the key.
  Target shifted = target;
  shifted.features = "b" + shifted.features;
  EXPECT_NE(cache.key("bitcode", target), cache.key("bitcode", shifted));
}

TEST(ObjectCache, ADamagedOrTruncatedEntryIsAMissAndRemoved) {
  TempDir dir;
  ObjectCache cache(dir.path(), "build");
  for (bool truncate : {false, true}) {
    cache.store("k", {"some machine code", "more"});
    fs::path entry = entriesIn(dir.path()).at(0);
    std::string bytes;
    {
      std::ifstream in(entry, std::ios::binary);
      bytes.assign(std::istreambuf_iterator<char>(in), {});
    }
    if (truncate)
      bytes.resize(bytes.size() - 1);
    else
      bytes[bytes.size() / 2] ^= 1;
    std::ofstream(entry, std::ios::binary | std::ios::trunc) << bytes;
    EXPECT_EQ(cache.load("k"), std::nullopt) << truncate;
    EXPECT_FALSE(fs::exists(entry)) << truncate;
  }
}

// An entry holds its key: renamed to another key's file, it is no hit there.
TEST(ObjectCache, AnEntryUnderAnotherKeysNameIsAMiss) {
  TempDir dir;
  ObjectCache cache(dir.path(), "build");
  cache.store("k1", {"code of k1"});
  fs::copy_file(dir / "k1.objects", dir / "k2.objects");
  EXPECT_EQ(cache.load("k2"), std::nullopt);
  EXPECT_FALSE(fs::exists(dir / "k2.objects"));
  EXPECT_TRUE(cache.load("k1"));
}

// Only a regular file no larger than an entry can be is read: a FIFO would block,
// a directory or a huge file would fail the run. Each is a miss, and removed.
TEST(ObjectCache, WhatIsNoEntryIsAMissNotAnError) {
  TempDir dir;
  ObjectCache cache(dir.path(), "build", /*capacityBytes=*/4096);
  fs::create_directories(dir / "directory.objects" / "inside");
  ASSERT_EQ(::mkfifo((dir / "fifo.objects").c_str(), 0600), 0);
  std::ofstream(dir / "huge.objects").close();
  fs::resize_file(dir / "huge.objects", 1 << 20);
  fs::create_symlink(dir / "elsewhere", dir / "link.objects");
  for (const char* key : {"directory", "fifo", "huge", "link"}) {
    EXPECT_EQ(cache.load(key), std::nullopt) << key;
    EXPECT_FALSE(fs::exists(fs::symlink_status(dir / (std::string(key) + ".objects")))) << key;
  }
  fs::create_symlink(dir / "elsewhere", dir / "link.objects");
  EXPECT_TRUE(cache.store("link", {"code"}));  // written in the folder, not through the link
  EXPECT_TRUE(cache.load("link"));
  EXPECT_FALSE(fs::exists(dir / "elsewhere"));
}

TEST(ObjectCache, TheLeastRecentlyUsedGoPastTheCapacity) {
  TempDir dir;
  ObjectCache cache(dir.path(), "build", /*capacityBytes=*/3500);  // an entry here: 1000 bytes and 66 around them
  std::string object(1000, 'o');
  auto past = fs::file_time_type::clock::now() - std::chrono::hours(1);
  for (const char* key : {"a", "b", "c"}) cache.store(key, {object});
  for (const fs::path& entry : entriesIn(dir.path()))  // used in turn: a longest ago, c last
    fs::last_write_time(entry, past + std::chrono::minutes(entry.stem() == "a" ? 0 : entry.stem() == "b" ? 1 : 2));
  ASSERT_TRUE(cache.load("a"));  // now the most recently used
  cache.store("d", {object});    // 4 x 1066 bytes: b, then c go (down to 3/4 of the capacity)
  EXPECT_TRUE(cache.load("a"));
  EXPECT_FALSE(cache.load("b"));
  EXPECT_FALSE(cache.load("c"));
  EXPECT_TRUE(cache.load("d"));
}

TEST(ObjectCache, AFolderThatCannotBeWrittenKeepsNothingAndIsNoError) {
  ObjectCache cache("/dev/null/kernels", "build");
  EXPECT_NO_THROW(cache.store("k", {"code"}));
  EXPECT_EQ(cache.load("k"), std::nullopt);
}

TEST(ObjectCache, AnEntryOverHalfTheCapacityIsNotKept) {
  TempDir dir;
  ObjectCache cache(dir.path(), "build", /*capacityBytes=*/2000);
  cache.store("small", {std::string(900, 's')});
  cache.store("large", {std::string(1000, 'l')});  // 1066 bytes with its framing
  EXPECT_TRUE(cache.load("small"));
  EXPECT_FALSE(cache.load("large"));
}

TEST(ObjectCache, TheUsersLivesBesideTheTuningCacheAndNeedsBuildIds) {
  std::string id = buildIdOfThisCode();
  if (id.empty()) GTEST_SKIP() << "convopt or libLLVM has no GNU build id (linked without --build-id): no kernels kept";
  EXPECT_EQ(id.find_first_not_of("0123456789abcdef-"), std::string::npos) << id;
  EXPECT_EQ(std::count(id.begin(), id.end(), '-'), 1) << id;  // convopt's, then libLLVM's
  TempDir dir;
  ScopedEnvironment env;
  env.set("CONVOPT_CACHE_DIR", dir.path().c_str());
  std::optional<ObjectCache> cache = ObjectCache::standard();
  ASSERT_TRUE(cache);
  EXPECT_EQ(cache->folder(), dir / "kernels");
  EXPECT_EQ(fs::status(dir / "kernels").permissions(), fs::perms::owner_all);  // created for the user alone
  env.set("CONVOPT_CACHE_DIR", nullptr);
  env.set("XDG_CACHE_HOME", nullptr);
  env.set("HOME", nullptr);
  EXPECT_EQ(ObjectCache::standard(), std::nullopt);  // nowhere to keep them
}

// The objects run as the user's code: a folder others may write into is not read.
TEST(ObjectCache, AFolderOthersMayWriteIntoIsNotUsed) {
  if (buildIdOfThisCode().empty()) GTEST_SKIP() << "no GNU build ids: no kernels kept";
  TempDir dir;
  ScopedEnvironment env;
  env.set("CONVOPT_CACHE_DIR", dir.path().c_str());
  fs::create_directories(dir / "kernels");
  for (fs::perms loose : {fs::perms::group_write, fs::perms::others_write}) {
    fs::permissions(dir / "kernels", fs::perms::owner_all | loose);
    EXPECT_EQ(ObjectCache::standard(), std::nullopt);
  }
  fs::permissions(dir / "kernels", fs::perms::owner_all | fs::perms::group_read | fs::perms::others_read);
  EXPECT_TRUE(ObjectCache::standard());
}

class KernelCacheEngine : public TargetTest<const char*> {
 protected:
  // The output, and where the engine's kernels came from (its explain() line).
  std::pair<std::vector<float>, std::string> run(bool kernelCache) {
    ir::Model model = testing::modelWithFixedWeights(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,8,6,6] x, float[8,8,3,3] w) => (float[1,8,6,6] y)
{
  c = Conv <pads = [1,1,1,1]> (x, w)
  y = Sigmoid (c)
}
)");
    ir::Tensor x = ir::Tensor::fromVector<float>(ir::DType::Float, {1, 8, 6, 6}, std::vector<float>(288, 0.01f));
    EngineOptions options{GetParam(), 2};
    options.kernelCache = kernelCache;
    JitEngine engine(model, {{"x", {1, 8, 6, 6}}}, options);
    std::string explain = engine.explain();
    size_t at = explain.find("kernels: ");
    return {engine.run({{"x", x}}).at("y").toFloatVector(),
            at == std::string::npos ? explain : explain.substr(at, explain.find('\n', at) - at)};
  }
};

TEST_P(KernelCacheEngine, TheNextEngineOfAModelLoadsItsKernels) {
  TempDir dir;
  ScopedEnvironment env;
  env.set("CONVOPT_CACHE_DIR", dir.path().c_str());
  if (!ObjectCache::standard()) GTEST_SKIP() << "this build has no GNU build id: it keeps no kernels";
  fs::path kernels = dir / "kernels";
  const std::string compiledLine = "kernels: compiled, kept in the kernel cache (" + kernels.string() + ")";
  const std::string loadedLine = "kernels: loaded from the kernel cache (" + kernels.string() + ")";
  auto [compiled, origin] = run(true);
  EXPECT_EQ(origin, compiledLine);
  std::vector<fs::path> entries = entriesIn(kernels);
  ASSERT_EQ(entries.size(), 1u);
  auto past = fs::file_time_type::clock::now() - std::chrono::hours(1);
  fs::last_write_time(entries[0], past);
  EXPECT_EQ(run(true), std::pair(compiled, loadedLine));
  EXPECT_GT(fs::last_write_time(entries[0]), past);  // marked as recently used
  EXPECT_EQ(entriesIn(kernels).size(), 1u);

  std::ofstream(entries[0], std::ios::binary | std::ios::trunc) << "damaged";
  EXPECT_EQ(run(true), std::pair(compiled, compiledLine));  // compiled afresh, and kept again
  EXPECT_EQ(run(true), std::pair(compiled, loadedLine));

  // Whole entries that are not this module's objects are refused before LLJIT sees
  // them, and compiled afresh: not objects at all, or each kernel defined twice.
  ObjectCache cache(kernels, buildIdOfThisCode());
  std::optional<std::vector<std::string>> objects = cache.load(entries[0].stem());
  ASSERT_TRUE(objects);
  std::vector<std::string> twice = *objects;
  twice.insert(twice.end(), objects->begin(), objects->end());
  for (const std::vector<std::string>& wrong : {std::vector<std::string>{"whole, but no object"}, twice}) {
    cache.store(entries[0].stem(), wrong);
    EXPECT_EQ(run(true), std::pair(compiled, compiledLine));
  }

  fs::remove_all(kernels);
  EXPECT_EQ(run(false), std::pair(compiled, std::string("kernels: compiled; not kept: the kernel cache is off "
                                                        "(--no-kernel-cache, kernel_cache=False)")));
  EXPECT_FALSE(fs::exists(kernels));  // --no-kernel-cache keeps nothing
}

INSTANTIATE_TEST_SUITE_P(Targets, KernelCacheEngine, ::testing::Values("x86-64-v3", "x86-64-v4"),
                         [](const auto& info) { return std::string(info.param) == "x86-64-v3" ? "AVX2" : "AVX512"; });

}  // namespace
}  // namespace convopt::codegen
