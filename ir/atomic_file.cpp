#include "ir/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include <fmt/format.h>

#include "ir/error.h"

namespace convopt::ir {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void cannotWrite(const fs::path& path, int error) {
  throwInputError("cannot write '{}': {}", path.string(), std::strerror(error));
}

// The file under construction: unnamed (O_TMPFILE) or a hidden temp name.
struct TempFile {
  TempFile() = default;
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  int fd = -1;
  std::string name;  // empty while unnamed
  ~TempFile() {
    if (fd >= 0) ::close(fd);
    if (!name.empty()) ::unlink(name.c_str());
  }
};

fs::path folderOf(const fs::path& path) { return path.parent_path().empty() ? fs::path(".") : path.parent_path(); }

// `shown` is the path the user gave, which errors name.
void createBeside(const fs::path& path, const fs::path& shown, TempFile& temp) {
  fs::path folder = folderOf(path);
  temp.fd = ::open(folder.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
  if (temp.fd >= 0) return;
  if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) cannotWrite(shown, errno);
  std::string pattern = fmt::format("{}/.{}.convopt-XXXXXX", folder.string(), path.filename().string());
  temp.fd = ::mkstemp(pattern.data());
  if (temp.fd < 0) cannotWrite(shown, errno);
  temp.name = pattern;
  mode_t mask = ::umask(0);  // mkstemp makes 0600; give what a plain open would
  ::umask(mask);
  ::fchmod(temp.fd, 0666 & ~mask);
}

void writeAll(int fd, std::string_view bytes, const fs::path& shown) {
  while (!bytes.empty()) {
    ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) cannotWrite(shown, written < 0 ? errno : EIO);
    bytes.remove_prefix(size_t(written));
  }
}

// A device or FIFO: not a regular file, not a folder.
bool isSpecialFile(const fs::path& path) {
  struct stat info;
  return ::stat(path.c_str(), &info) == 0 && !S_ISREG(info.st_mode) && !S_ISDIR(info.st_mode);
}

// A device (/dev/null) or FIFO is written into as it is: replacing it with a
// regular file would, run as root, take /dev/null away from the whole system.
void writeIntoSpecialFile(const fs::path& path, const fs::path& shown, std::string_view bytes) {
  TempFile file;  // closes it
  file.fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (file.fd < 0) cannotWrite(shown, errno);
  writeAll(file.fd, bytes, shown);
}

}  // namespace

fs::path writeTarget(const fs::path& path) {
  fs::path target = path;
  for (int hops = 0; hops < 40; ++hops) {  // the kernel's own limit
    std::error_code error;
    if (!fs::is_symlink(fs::symlink_status(target, error))) return target;
    fs::path next = fs::read_symlink(target, error);
    if (error) return target;
    target = next.is_absolute() ? next : folderOf(target) / next;
  }
  cannotWrite(path, ELOOP);
}

void writeFileAtomically(const fs::path& given, std::string_view bytes) {
  fs::path path = writeTarget(given);
  if (isSpecialFile(path)) return writeIntoSpecialFile(path, given, bytes);
  TempFile temp;
  createBeside(path, given, temp);
  writeAll(temp.fd, bytes, given);
  if (::fsync(temp.fd) != 0) cannotWrite(given, errno);
  if (temp.name.empty()) {  // name the unnamed file beside the target, then move it over
    std::string name = fmt::format("{}/.{}.convopt-{}", folderOf(path).string(), path.filename().string(), ::getpid());
    ::unlink(name.c_str());
    std::string self = fmt::format("/proc/self/fd/{}", temp.fd);
    if (::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, name.c_str(), AT_SYMLINK_FOLLOW) != 0) cannotWrite(given, errno);
    temp.name = name;
  }
  if (::rename(temp.name.c_str(), path.c_str()) != 0) cannotWrite(given, errno);
  temp.name.clear();  // it is the target now
}

void checkNotInput(const fs::path& path, const std::vector<fs::path>& inputs) {
  for (const fs::path& input : inputs) {
    std::error_code error;  // false, not an error, when either is missing
    if (!path.empty() && !input.empty() && fs::equivalent(path, input, error))
      throwInputError("cannot write '{}': it is the input '{}', which convopt never overwrites; write to another path",
                      path.string(), input.string());
  }
}

void checkWritable(const fs::path& given) {
  fs::path path = writeTarget(given);
  if (isSpecialFile(path)) {
    if (::access(path.c_str(), W_OK) != 0) cannotWrite(given, errno);
    return;
  }
  fs::path folder = folderOf(path);
  struct stat info;
  if (::stat(folder.c_str(), &info) != 0) cannotWrite(given, errno);
  if (!S_ISDIR(info.st_mode)) cannotWrite(given, ENOTDIR);
  if (::access(folder.c_str(), W_OK | X_OK) != 0) cannotWrite(given, errno);
}

}  // namespace convopt::ir
