// Compiled kernels kept between processes: the objects the JIT made of a
// module, in the user's cache folder (the tuning cache's, tuning_cache.h:
// $CONVOPT_CACHE_DIR/kernels, else $XDG_CACHE_HOME/convopt/kernels, else
// $HOME/.cache/convopt/kernels), so that a model compiled once starts in a
// fraction of the time (LLVM's -O3 and code generation are most of it).
//
// An entry is keyed by a BLAKE3 hash of the module's bitcode before -O3, the
// target (triple, CPU, features), the LLVM version and the GNU build ids of the
// convopt code and of the LLVM library that compile it: any change to what goes
// into the objects is a new key, and a rebuilt convopt or updated libLLVM never
// reads older objects (code without a build id keeps no cache). An entry holds
// its key and its own hash, and is read only when it is a regular file of at
// most an entry's size (anything else under its name is a miss, removed); the
// JIT then takes its objects only if they are relocatable ELF objects of the
// target that define each kernel exactly once (jit.cpp). The least recently
// used go once the folder passes its capacity (kCapacityBytes). The folder must be
// the user's and writable by no one else (created so): the objects run as the
// user's code. Safe to delete; `--no-kernel-cache` (EngineOptions::kernelCache)
// neither reads nor writes it.
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
  // In the user's cache folder; none (and why, in `whyNone`) when no variable
  // names one, the code has no build ids, or others may write into the folder.
  static std::optional<ObjectCache> standard(std::string* whyNone = nullptr);
  ObjectCache(std::filesystem::path folder, std::string buildId, uint64_t capacityBytes = kCapacityBytes)
      : folder_(std::move(folder)), buildId_(std::move(buildId)), capacityBytes_(capacityBytes) {}

  // The key of a module (its bitcode) compiled for `target`.
  std::string key(std::string_view bitcode, const Target& target) const;
  // The objects stored under `key`, or none (missing, unreadable or damaged).
  std::optional<std::vector<std::string>> load(const std::string& key) const;
  // Best effort, whether it kept them: a folder that cannot be written keeps
  // nothing, nor is an entry over half the capacity kept.
  bool store(const std::string& key, const std::vector<std::string>& objects) const;
  // For an entry whose objects the JIT cannot take.
  void remove(const std::string& key) const;

  const std::filesystem::path& folder() const { return folder_; }

 private:
  std::filesystem::path entry(const std::string& key) const { return folder_ / (key + ".objects"); }
  void evictBeyondCapacity(const std::filesystem::path& kept) const;
  std::filesystem::path folder_;
  std::string buildId_;
  uint64_t capacityBytes_;
};

// The GNU build ids, as hex, of the object (executable or shared library)
// holding this code and of the LLVM library; "" when either has none.
std::string buildIdOfThisCode();

}  // namespace convopt::codegen
