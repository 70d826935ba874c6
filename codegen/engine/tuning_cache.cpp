#include "codegen/engine/tuning_cache.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ir/atomic_file.h"
#include "ir/error.h"

namespace convopt::codegen {
namespace {

constexpr int kVersion = 1;

// The file's hosts, each an object; an unreadable or foreign file has none.
nlohmann::json readHosts(const std::filesystem::path& file) {
  std::ifstream in(file);
  nlohmann::json cache = in ? nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false) : nlohmann::json();
  nlohmann::json hosts = nlohmann::json::object();
  if (!cache.is_object() || cache["version"] != kVersion || !cache["hosts"].is_object()) return hosts;
  for (const auto& [key, host] : cache["hosts"].items())
    if (host.is_object()) hosts[key] = host;
  return hosts;
}

bool isTile(const nlohmann::json& tile) { return tile.is_number_integer() && (tile == 0 || tile == 2 || tile == 4); }

// An exclusive lock on FILE.lock for the read-modify-write of `file`, released on destruction.
class CacheLock {
 public:
  explicit CacheLock(const std::filesystem::path& file)
      : fd_(::open((file.string() + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)) {
    if (fd_ >= 0) ::flock(fd_, LOCK_EX);  // without a lock file, store unlocked (writes stay atomic)
  }
  ~CacheLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  CacheLock(const CacheLock&) = delete;
  CacheLock& operator=(const CacheLock&) = delete;

 private:
  int fd_;
};

}  // namespace

std::filesystem::path tuningCachePath() {
  auto variable = [](const char* name) -> std::string {
    const char* value = std::getenv(name);
    return value ? value : "";
  };
  if (std::string dir = variable("CONVOPT_CACHE_DIR"); !dir.empty()) return std::filesystem::path(dir) / "tuning.json";
  if (std::string dir = variable("XDG_CACHE_HOME"); !dir.empty())
    return std::filesystem::path(dir) / "convopt" / "tuning.json";
  if (std::string home = variable("HOME"); !home.empty())
    return std::filesystem::path(home) / ".cache" / "convopt" / "tuning.json";
  return {};
}

std::string tuningHostKey(const std::string& cpu, int threads) {
  Target host = selectTarget();
  uint64_t hash = 14695981039346656037ull;  // FNV-1a: the same key on every build
  for (unsigned char c : host.features) hash = (hash ^ c) * 1099511628211ull;
  return fmt::format("{} {} features-{:016x} for {}, {} thread(s)", host.triple, host.cpu, hash,
                     cpu.empty() ? "host" : cpu, threads);
}

std::map<std::string, int> loadWinogradTiles(const std::filesystem::path& file, const std::string& hostKey) {
  std::map<std::string, int> tiles;
  if (file.empty()) return tiles;
  nlohmann::json hosts = readHosts(file);
  if (!hosts.contains(hostKey) || !hosts[hostKey]["winograd"].is_object()) return tiles;
  for (const auto& [key, tile] : hosts[hostKey]["winograd"].items())
    if (isTile(tile)) tiles[key] = tile.get<int>();
  return tiles;
}

void storeWinogradTiles(const std::filesystem::path& file, const std::string& hostKey,
                        const std::map<std::string, int>& tiles) {
  if (file.empty())
    throwInputError("no folder for the tuning cache: set CONVOPT_CACHE_DIR (or XDG_CACHE_HOME or HOME)");
  std::error_code error;
  std::filesystem::create_directories(file.parent_path(), error);  // writeFileAtomically reports a failure
  CacheLock lock(file);
  nlohmann::json hosts = readHosts(file);
  nlohmann::json& winograd = hosts[hostKey]["winograd"];
  if (!winograd.is_object()) winograd = nlohmann::json::object();
  for (const auto& [key, tile] : tiles) winograd[key] = tile;
  ir::writeFileAtomically(file, nlohmann::json{{"version", kVersion}, {"hosts", hosts}}.dump(1) + "\n");
}

}  // namespace convopt::codegen
