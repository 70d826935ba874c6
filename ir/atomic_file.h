// Files convopt writes appear whole or not at all: readers (and whatever runs
// after a crash) see the old file or the complete new one, never a prefix.
// A symbolic link is followed: its target is replaced, the link stays. A
// device or FIFO (/dev/null) is written into as it is, not replaced.
// The bytes go to an unnamed file in the target's folder (Linux O_TMPFILE),
// flushed to disk, which gets the target's name (linkat, then rename over any
// old file) only once complete: killed at any point before that, nothing is
// left behind. Where the filesystem has no O_TMPFILE, a hidden named temp file
// ".NAME.convopt-XXXXXX" takes its place (removed on failure; a kill leaves it).
#pragma once
#include <filesystem>
#include <string_view>
#include <vector>

namespace convopt::ir {

// The file a write to `path` goes to: through symbolic links (a chain, a
// relative target, a dangling link's missing target).
std::filesystem::path writeTarget(const std::filesystem::path& path);

// InputError "cannot write 'PATH': REASON" when the folder or disk refuses.
void writeFileAtomically(const std::filesystem::path& path, std::string_view bytes);

// Throws the InputError writeFileAtomically would where PATH's folder is
// missing or refuses writing: for a command to fail before long work, not after.
void checkWritable(const std::filesystem::path& path);

// Throws InputError when `path` names one of the files `inputs` (by the same
// path, a relative or symbolic one, or a hard link): a command never replaces
// a file it reads. Empty paths (options not given) are skipped.
void checkNotInput(const std::filesystem::path& path, const std::vector<std::filesystem::path>& inputs);

}  // namespace convopt::ir
