#include "codegen/engine/tuning_cache.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <string_view>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ir/atomic_file.h"
#include "ir/error.h"

// codegen/engine/tuning_defaults.json, embedded at build time (codegen/CMakeLists.txt).
extern "C" {
extern const unsigned char convopt_tuning_defaults[];
extern const unsigned long convopt_tuning_defaults_size;
}

namespace convopt::codegen {
namespace {

constexpr int kVersion = 1;

std::optional<int> tileOf(const nlohmann::json& tile) {
  if (tile.is_number_integer() && (tile == 0 || tile == 2 || tile == 4)) return tile.get<int>();
  return std::nullopt;
}
std::optional<ConvVariant> variantOf(const nlohmann::json& name) {
  return name.is_string() ? convVariantNamed(name.get<std::string>()) : std::nullopt;
}

// The hosts of a cache's text, each an object; an unreadable or foreign text has none.
nlohmann::json hostsOf(const nlohmann::json& cache) {
  nlohmann::json hosts = nlohmann::json::object();
  if (!cache.is_object() || cache.value("version", nlohmann::json()) != kVersion || !cache.contains("hosts") ||
      !cache.at("hosts").is_object())
    return hosts;
  for (const auto& [key, host] : cache.at("hosts").items())
    if (host.is_object()) hosts[key] = host;
  return hosts;
}

nlohmann::json readHosts(const std::filesystem::path& file) {
  std::ifstream in(file);
  return hostsOf(in ? nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false) : nlohmann::json());
}

// The valid choices of one section ("winograd", "variants") of a host's entry, by layer key.
template <class Choice>
std::map<std::string, Choice> choicesOf(const nlohmann::json& hosts, const std::string& hostKey, const char* section,
                                        std::optional<Choice> (*parse)(const nlohmann::json&)) {
  std::map<std::string, Choice> choices;
  if (!hosts.contains(hostKey) || !hosts.at(hostKey).contains(section) || !hosts.at(hostKey).at(section).is_object())
    return choices;
  for (const auto& [key, value] : hosts.at(hostKey).at(section).items())
    if (std::optional<Choice> choice = parse(value)) choices[key] = *choice;
  return choices;
}

nlohmann::json defaultHosts() {
  std::string_view text(reinterpret_cast<const char*>(convopt_tuning_defaults), convopt_tuning_defaults_size);
  return hostsOf(nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false));
}

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
  return file.empty() ? std::map<std::string, int>() : choicesOf(readHosts(file), hostKey, "winograd", tileOf);
}

std::map<std::string, ConvVariant> loadConvVariants(const std::filesystem::path& file, const std::string& hostKey) {
  return file.empty() ? std::map<std::string, ConvVariant>()
                      : choicesOf(readHosts(file), hostKey, "variants", variantOf);
}

std::string tuningFamilyKey(const std::string& cpuName, int threads) {
  return fmt::format("{}, {} thread(s)", cpuName, threads);
}

std::map<std::string, int> defaultWinogradTiles(const std::string& familyKey) {
  return choicesOf(defaultHosts(), familyKey, "winograd", tileOf);
}

std::map<std::string, ConvVariant> defaultConvVariants(const std::string& familyKey) {
  return choicesOf(defaultHosts(), familyKey, "variants", variantOf);
}

// Changes the file's entry for `hostKey` under its lock; InputError when the folder cannot be written.
static void updateHost(const std::filesystem::path& file, const std::string& hostKey,
                       const std::function<void(nlohmann::json&)>& update) {
  if (file.empty())
    throwInputError("no folder for the tuning cache: set CONVOPT_CACHE_DIR (or XDG_CACHE_HOME or HOME)");
  std::error_code error;
  std::filesystem::create_directories(file.parent_path(), error);  // writeFileAtomically reports a failure
  CacheLock lock(file);
  nlohmann::json hosts = readHosts(file);
  update(hosts[hostKey]);
  ir::writeFileAtomically(file, nlohmann::json{{"version", kVersion}, {"hosts", hosts}}.dump(1) + "\n");
}

// Merges `choices` into a section of the file's entry for `hostKey`.
static void storeChoices(const std::filesystem::path& file, const std::string& hostKey, const char* section,
                         const nlohmann::json& choices) {
  updateHost(file, hostKey, [&](nlohmann::json& host) {
    nlohmann::json& stored = host[section];
    if (!stored.is_object()) stored = nlohmann::json::object();
    stored.update(choices);
  });
}

void storeWinogradTiles(const std::filesystem::path& file, const std::string& hostKey,
                        const std::map<std::string, int>& tiles) {
  storeChoices(file, hostKey, "winograd", nlohmann::json(tiles));
}

void storeConvVariants(const std::filesystem::path& file, const std::string& hostKey,
                       const std::map<std::string, ConvVariant>& variants) {
  nlohmann::json names = nlohmann::json::object();
  for (const auto& [key, variant] : variants) names[key] = convVariantName(variant);
  storeChoices(file, hostKey, "variants", names);
}

std::optional<HostPeaks> loadHostPeaks(const std::filesystem::path& file, const std::string& hostKey) {
  if (file.empty()) return std::nullopt;
  nlohmann::json hosts = readHosts(file);
  if (!hosts.contains(hostKey)) return std::nullopt;
  const nlohmann::json& peaks = hosts[hostKey]["peaks"];
  auto positive = [&](const char* name) { return peaks.contains(name) && peaks[name].is_number() && peaks[name] > 0; };
  if (!peaks.is_object() || !positive("fma_gflops") || !positive("copy_gbps")) return std::nullopt;
  return HostPeaks{peaks["fma_gflops"].get<double>(), peaks["copy_gbps"].get<double>()};
}

void storeHostPeaks(const std::filesystem::path& file, const std::string& hostKey, const HostPeaks& peaks) {
  updateHost(file, hostKey, [&](nlohmann::json& host) {
    host["peaks"] = {{"fma_gflops", peaks.fmaGflops}, {"copy_gbps", peaks.copyGbps}};
  });
}

}  // namespace convopt::codegen
