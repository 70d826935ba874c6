#include "codegen/engine/object_cache.h"

#include <elf.h>
#include <link.h>
#include <llvm-c/Core.h>
#include <llvm/ADT/StringExtras.h>
#include <llvm/Config/llvm-config.h>
#include <llvm/Support/BLAKE3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "codegen/engine/tuning_cache.h"
#include "ir/atomic_file.h"
#include "ir/error.h"
#include "ir/read_file.h"

namespace convopt::codegen {

namespace {

// An entry: the magic line, its key (an entry renamed to another key is no
// hit), the object count and sizes (64-bit words in the host's byte order, the
// key's length first), the objects, then a BLAKE3 hash of all that.
constexpr std::string_view kMagic = "convopt objects 2\n";
constexpr size_t kHashBytes = 32;

void appendWord(std::string& bytes, uint64_t word) { bytes.append(reinterpret_cast<const char*>(&word), sizeof word); }

std::string hashOf(std::string_view bytes) {
  llvm::BLAKE3Result<kHashBytes> hash =
      llvm::BLAKE3::hash<kHashBytes>(llvm::ArrayRef(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
  return std::string(reinterpret_cast<const char*>(hash.data()), hash.size());
}

// The objects of an entry's bytes stored under `key`, or none when any part does not check out.
std::optional<std::vector<std::string>> parseEntry(std::string_view bytes, std::string_view key) {
  std::string head = std::string(kMagic);
  appendWord(head, key.size());
  head += key;
  if (bytes.size() < head.size() + sizeof(uint64_t) + kHashBytes || bytes.substr(0, head.size()) != head)
    return std::nullopt;
  std::string_view body = bytes.substr(0, bytes.size() - kHashBytes);
  if (hashOf(body) != bytes.substr(body.size())) return std::nullopt;
  size_t at = head.size();
  auto word = [&](uint64_t& value) {
    if (body.size() - at < sizeof value) return false;
    std::memcpy(&value, body.data() + at, sizeof value);
    at += sizeof value;
    return true;
  };
  uint64_t count = 0;
  if (!word(count) || count > (body.size() - at) / sizeof(uint64_t)) return std::nullopt;
  std::vector<uint64_t> sizes(count);
  for (uint64_t& size : sizes)
    if (!word(size)) return std::nullopt;
  std::vector<std::string> objects;
  for (uint64_t size : sizes) {
    if (size > body.size() - at) return std::nullopt;
    objects.emplace_back(body.substr(at, size));
    at += size;
  }
  if (at != body.size()) return std::nullopt;
  return objects;
}

// dl_iterate_phdr's callback: the build id note of the object (executable or
// shared library) whose loaded segments hold `code`.
struct BuildIdSearch {
  uintptr_t code;
  std::string id;
};

int findBuildId(dl_phdr_info* info, size_t, void* data) {
  auto* search = static_cast<BuildIdSearch*>(data);
  bool holdsCode = false;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& segment = info->dlpi_phdr[i];
    uintptr_t start = info->dlpi_addr + segment.p_vaddr;
    if (segment.p_type == PT_LOAD && search->code >= start && search->code < start + segment.p_memsz) holdsCode = true;
  }
  if (!holdsCode) return 0;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& segment = info->dlpi_phdr[i];
    if (segment.p_type != PT_NOTE) continue;
    const char* note = reinterpret_cast<const char*>(info->dlpi_addr + segment.p_vaddr);
    const char* end = note + segment.p_memsz;
    auto aligned = [](size_t n) { return (n + 3) & ~size_t(3); };
    while (end - note >= ptrdiff_t(sizeof(ElfW(Nhdr)))) {
      const auto* header = reinterpret_cast<const ElfW(Nhdr)*>(note);
      const char* name = note + sizeof(ElfW(Nhdr));
      const char* desc = name + aligned(header->n_namesz);
      if (desc + header->n_descsz > end) break;
      if (header->n_type == NT_GNU_BUILD_ID && header->n_namesz == 4 && std::memcmp(name, "GNU", 4) == 0) {
        search->id = llvm::toHex(llvm::StringRef(desc, header->n_descsz), /*LowerCase=*/true);
        return 1;
      }
      note = desc + aligned(header->n_descsz);
    }
  }
  return 1;
}

}  // namespace

std::string buildIdOf(const void* code) {
  BuildIdSearch search{reinterpret_cast<uintptr_t>(code), ""};
  dl_iterate_phdr(findBuildId, &search);
  return search.id;
}

std::string buildIdOfThisCode() {
  // convopt's own code and the LLVM library that compiles (a distribution's
  // update replaces libLLVM without relinking convopt).
  static const std::string id = [] {
    std::string own = buildIdOf(reinterpret_cast<const void*>(&buildIdOfThisCode));
    std::string llvm = buildIdOf(reinterpret_cast<const void*>(&LLVMGetVersion));
    return own.empty() || llvm.empty() ? std::string() : own + "-" + llvm;
  }();
  return id;
}

namespace {

// Only the user may have written what it runs: a folder of another owner, or
// one that others may write into, holds no kernels of theirs.
bool ownedByTheUserAlone(const std::filesystem::path& folder) {
  struct stat status;
  if (::stat(folder.c_str(), &status) != 0) return false;
  return S_ISDIR(status.st_mode) && status.st_uid == ::geteuid() && !(status.st_mode & (S_IWGRP | S_IWOTH));
}

}  // namespace

std::optional<ObjectCache> ObjectCache::standard(std::string* whyNone) {
  auto none = [&](std::string why) -> std::optional<ObjectCache> {
    if (whyNone) *whyNone = std::move(why);
    return std::nullopt;
  };
  std::filesystem::path tuning = tuningCachePath();  // the same folder
  std::string buildId = buildIdOfThisCode();
  if (tuning.empty()) return none("no cache folder (set CONVOPT_CACHE_DIR, XDG_CACHE_HOME or HOME)");
  if (buildId.empty()) return none("convopt or libLLVM has no GNU build id");
  std::filesystem::path folder = tuning.parent_path() / "kernels";
  std::error_code error;
  if (std::filesystem::create_directories(folder, error))
    std::filesystem::permissions(folder, std::filesystem::perms::owner_all, error);
  if (!ownedByTheUserAlone(folder))
    return none(folder.string() + " is not a folder of this user's that no one else may write into");
  return ObjectCache(folder, buildId);
}

std::string ObjectCache::key(std::string_view bitcode, const Target& target) const {
  llvm::BLAKE3 hasher;
  for (std::string_view part :
       {std::string_view(LLVM_VERSION_STRING), std::string_view(buildId_), std::string_view(target.triple),
        std::string_view(target.cpu), std::string_view(target.features), bitcode}) {
    uint64_t size = part.size();  // each part's length first: no two part lists hash alike
    hasher.update(llvm::ArrayRef(reinterpret_cast<const uint8_t*>(&size), sizeof size));
    hasher.update(llvm::StringRef(part.data(), part.size()));
  }
  llvm::BLAKE3Result<16> hash = hasher.final<16>();
  return llvm::toHex(hash, /*LowerCase=*/true);
}

std::optional<std::vector<std::string>> ObjectCache::load(const std::string& key) const {
  std::filesystem::path path = entry(key);
  std::error_code error;
  std::filesystem::file_status status = std::filesystem::symlink_status(path, error);
  if (error || status.type() == std::filesystem::file_type::not_found) return std::nullopt;
  // Only a regular file no larger than store() writes is read (a FIFO would block, a
  // directory or a huge file would fail the run): anything else is removed and compiled.
  if (status.type() != std::filesystem::file_type::regular ||
      std::filesystem::file_size(path, error) > capacityBytes_ / 2 || error) {
    remove(key);
    return std::nullopt;
  }
  std::string bytes;
  try {
    bytes = ir::readFile(path);
  } catch (const std::exception&) {  // unreadable, or removed meanwhile: compiled
    return std::nullopt;
  }
  std::optional<std::vector<std::string>> objects = parseEntry(bytes, key);
  if (!objects) {
    remove(key);
    return std::nullopt;
  }
  std::error_code ignored;
  std::filesystem::last_write_time(path, std::filesystem::file_time_type::clock::now(), ignored);  // recently used
  return objects;
}

void ObjectCache::remove(const std::string& key) const {
  std::error_code ignored;
  std::filesystem::remove_all(entry(key), ignored);  // a symbolic link itself, not its target; a directory too
}

bool ObjectCache::store(const std::string& key, const std::vector<std::string>& objects) const {
  std::string bytes(kMagic);
  appendWord(bytes, key.size());
  bytes += key;
  appendWord(bytes, objects.size());
  for (const std::string& object : objects) appendWord(bytes, object.size());
  for (const std::string& object : objects) bytes += object;
  bytes += hashOf(bytes);
  if (bytes.size() > capacityBytes_ / 2) return false;  // it would push out most of the others, and soon itself
  try {
    std::error_code error;
    std::filesystem::create_directories(folder_, error);
    std::filesystem::file_status there = std::filesystem::symlink_status(entry(key), error);
    if (!error && there.type() != std::filesystem::file_type::regular) remove(key);  // written here, not through a link
    ir::writeFileAtomically(entry(key), bytes);
    evictBeyondCapacity(entry(key));
    return true;
  } catch (const std::exception&) {  // a read-only or full disk: the next process compiles again
    return false;
  }
}

// The least recently used entries but `kept` go until the folder holds three
// quarters of the capacity.
void ObjectCache::evictBeyondCapacity(const std::filesystem::path& kept) const {
  struct Entry {
    std::filesystem::path path;
    std::filesystem::file_time_type used;
    uint64_t bytes;
  };
  std::vector<Entry> entries;
  uint64_t total = 0;
  std::error_code error;
  for (const auto& file : std::filesystem::directory_iterator(folder_, error)) {
    if (file.path().extension() != ".objects" || file.path() == kept) continue;
    Entry e{file.path(), file.last_write_time(error), file.file_size(error)};
    if (error) continue;  // removed by another process meanwhile
    total += e.bytes;
    entries.push_back(std::move(e));
  }
  std::error_code missing;
  uint64_t keptBytes = std::filesystem::file_size(kept, missing);
  if (missing) keptBytes = 0;
  if (total + keptBytes <= capacityBytes_) return;
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.used < b.used; });
  for (const Entry& e : entries) {
    if (total + keptBytes <= capacityBytes_ / 4 * 3) break;
    if (std::filesystem::remove(e.path, error)) total -= e.bytes;
  }
}

}  // namespace convopt::codegen
