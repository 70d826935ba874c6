#include "codegen/engine/tuning_cache.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ir/atomic_file.h"

namespace convopt::codegen {
namespace {

constexpr int kVersion = 1;

nlohmann::json readCache(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return nlohmann::json::object();
  nlohmann::json cache = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  bool valid = cache.is_object() && cache.value("version", 0) == kVersion && cache.contains("hosts") &&
               cache["hosts"].is_object();
  return valid ? cache : nlohmann::json::object();
}

}  // namespace

std::filesystem::path tuningCachePath() {
  auto variable = [](const char* name) -> std::string {
    const char* value = std::getenv(name);
    return value ? value : "";
  };
  if (std::string dir = variable("CONVOPT_CACHE_DIR"); !dir.empty()) return std::filesystem::path(dir) / "tuning.json";
  if (std::string dir = variable("XDG_CACHE_HOME"); !dir.empty())
    return std::filesystem::path(dir) / "convopt" / "tuning.json";
  return std::filesystem::path(variable("HOME")) / ".cache" / "convopt" / "tuning.json";
}

std::string tuningHostKey(const Target& target, int threads) {
  uint64_t hash = 14695981039346656037ull;  // FNV-1a: the same key on every build
  for (unsigned char c : target.features) hash = (hash ^ c) * 1099511628211ull;
  return fmt::format("{} {} features-{:016x} {} thread(s)", target.triple, target.cpu, hash, threads);
}

std::map<std::string, int> loadWinogradTiles(const std::filesystem::path& file, const std::string& hostKey) {
  nlohmann::json cache = readCache(file);
  std::map<std::string, int> tiles;
  if (!cache.contains("hosts") || !cache["hosts"].contains(hostKey)) return tiles;
  const nlohmann::json& winograd = cache["hosts"][hostKey].value("winograd", nlohmann::json::object());
  for (const auto& [key, tile] : winograd.items())
    if (tile.is_number_integer() && (tile == 0 || tile == 2 || tile == 4)) tiles[key] = tile.get<int>();
  return tiles;
}

void storeWinogradTiles(const std::filesystem::path& file, const std::string& hostKey,
                        const std::map<std::string, int>& tiles) {
  nlohmann::json cache = readCache(file);
  cache["version"] = kVersion;
  for (const auto& [key, tile] : tiles) cache["hosts"][hostKey]["winograd"][key] = tile;
  std::error_code error;
  std::filesystem::create_directories(file.parent_path(), error);  // writeFileAtomically reports a failure
  ir::writeFileAtomically(file, cache.dump(1) + "\n");
}

}  // namespace convopt::codegen
