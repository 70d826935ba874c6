#include "ir/memory_limit.h"

#include <unistd.h>

#include <atomic>
#include <charconv>
#include <cmath>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "ir/error.h"

namespace convopt::ir {
namespace {

std::atomic<uint64_t> configuredLimit{0};

uint64_t halfOfPhysicalMemory() {
  long pages = sysconf(_SC_PHYS_PAGES), pageSize = sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || pageSize <= 0) return uint64_t(8) << 30;  // unknown machine: 8 GiB
  return uint64_t(pages) * uint64_t(pageSize) / 2;
}

uint64_t unitOf(std::string_view suffix) {
  if (suffix.ends_with("iB") || suffix.ends_with("ib"))
    suffix.remove_suffix(2);
  else if (suffix.ends_with("B") || suffix.ends_with("b"))
    suffix.remove_suffix(1);
  if (suffix.empty()) return 1;
  if (suffix.size() != 1) return 0;
  switch (suffix[0]) {
    case 'k':
    case 'K':
      return uint64_t(1) << 10;
    case 'm':
    case 'M':
      return uint64_t(1) << 20;
    case 'g':
    case 'G':
      return uint64_t(1) << 30;
    case 't':
    case 'T':
      return uint64_t(1) << 40;
    default:
      return 0;
  }
}

}  // namespace

uint64_t memoryLimit() {
  uint64_t limit = configuredLimit.load(std::memory_order_relaxed);
  if (limit) return limit;
  static const uint64_t fallback = halfOfPhysicalMemory();
  return fallback;
}

void setMemoryLimit(uint64_t bytes) { configuredLimit.store(bytes, std::memory_order_relaxed); }

uint64_t parseByteSize(std::string_view text) {
  double number = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  uint64_t unit = ec == std::errc() ? unitOf(text.substr(size_t(end - text.data()))) : 0;
  double bytes = number * double(unit);
  if (unit == 0 || !(bytes >= 1) || bytes >= 0x1p64)
    throwInputError("'{}' is not a memory size (examples: 512M, 4G, 1.5GiB, 1048576)", text);
  return uint64_t(bytes);
}

std::string formatBytes(uint64_t bytes) {
  if (bytes < 1024) return fmt::format("{} bytes", bytes);
  const char* units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double value = double(bytes) / 1024;
  int unit = 0;
  while (value >= 1024 && unit < 5) value /= 1024, ++unit;
  return fmt::format("{:.3g} {}", value, units[unit]);
}

void checkAllocation(uint64_t bytes, const std::string& what) {
  uint64_t limit = memoryLimit();
  if (bytes > limit)
    throwInputError("{} needs {}, over the memory limit of {} (raise it with --max-memory)", what,
                    bytes == UINT64_MAX ? "more than 16 EiB" : formatBytes(bytes), formatBytes(limit));
}

uint64_t staticByteSize(const ValueType& type) {
  if (!type.hasStaticShape() || type.dtype == DType::String) return 0;
  uint64_t bytes = elementSize(type.dtype);
  for (int64_t d : type.staticShape()) {
    if (d == 0) return 0;
    bytes = bytes > UINT64_MAX / uint64_t(d) ? UINT64_MAX : bytes * uint64_t(d);
  }
  return bytes;
}

void checkTensorSize(std::string_view kind, const std::string& name, const ValueType& type) {
  uint64_t bytes = staticByteSize(type);
  if (bytes > memoryLimit())
    checkAllocation(
        bytes, fmt::format("{} '{}' ([{}] {})", kind, name, fmt::join(type.staticShape(), "x"), dtypeName(type.dtype)));
}

void checkDeclaredSizes(const Graph& graph) {
  // In execution order, so the refusal names the first tensor that would not fit.
  for (const Value* input : graph.inputs())
    if (!input->isInitializer()) checkTensorSize("value", input->name(), input->type);
  for (const Node* node : graph.nodes())
    for (const Value* output : node->outputs())
      if (output) checkTensorSize("value", output->name(), output->type);
}

}  // namespace convopt::ir
