// Compiled kernels kept between processes: the objects the JIT made of a
// module, in the user's cache folder (the tuning cache's, tuning_cache.h:
// $CONVOPT_CACHE_DIR/kernels, else $XDG_CACHE_HOME/convopt/kernels, else
// $HOME/.cache/convopt/kernels), so that a model compiled once starts in a
// fraction of the time (LLVM's -O3 and code generation are most of it).
//
// An entry is keyed by a BLAKE3 hash of the module's bitcode before -O3, the
// target (triple, CPU, features), the LLVM version and the build id of the
// convopt code that compiles it: any change to what goes into the objects is a
// new key, and a rebuilt convopt never reads an older build's objects (a build
// without a GNU build id keeps no cache). Entries are checked when read (their
// own hash; a damaged one is a miss and removed) and the least recently used go
// once the folder passes its capacity (kCapacityBytes). Safe to delete; `--no-kernel-cache`
// (EngineOptions::kernelCache) neither reads nor writes it.
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codegen/engine/target.h"

namespace convopt::codegen {

class ObjectCache {
 public:
  static constexpr uint64_t kCapacityBytes = uint64_t(256) << 20;
  // In the user's cache folder; none when no variable names one or this build has no build id.
  static std::optional<ObjectCache> standard();
  ObjectCache(std::filesystem::path folder, std::string buildId, uint64_t capacityBytes = kCapacityBytes)
      : folder_(std::move(folder)), buildId_(std::move(buildId)), capacityBytes_(capacityBytes) {}

  // The key of a module (its bitcode) compiled for `target`.
  std::string key(std::string_view bitcode, const Target& target) const;
  // The objects stored under `key`, or none (missing, unreadable or damaged).
  std::optional<std::vector<std::string>> load(const std::string& key) const;
  // Best effort: a folder that cannot be written keeps nothing, silently.
  void store(const std::string& key, const std::vector<std::string>& objects) const;

  const std::filesystem::path& folder() const { return folder_; }

 private:
  std::filesystem::path entry(const std::string& key) const { return folder_ / (key + ".objects"); }
  void evictBeyondCapacity() const;
  std::filesystem::path folder_;
  std::string buildId_;
  uint64_t capacityBytes_;
};

// The GNU build id of the object (executable or shared library) holding this
// code, as hex; "" when it has none.
std::string buildIdOfThisCode();

}  // namespace convopt::codegen
