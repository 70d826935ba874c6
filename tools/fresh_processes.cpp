#include "tools/fresh_processes.h"

#include "runtime/median.h"

#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "ir/error.h"

namespace convopt::tools {

namespace {

// Runs this executable with `args`; returns what it printed on stdout.
std::string captureSelf(const std::vector<std::string>& args) {
  std::string self = "/proc/self/exe";
  std::vector<char*> argv = {self.data()};
  for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  int pipeEnds[2];
  if (pipe(pipeEnds) != 0) throwInputError("--processes: cannot create a pipe");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, pipeEnds[0]);
  pid_t pid;
  int spawned = posix_spawn(&pid, self.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(pipeEnds[1]);
  std::string output;
  char buffer[4096];
  for (ssize_t n; spawned == 0 && (n = read(pipeEnds[0], buffer, sizeof buffer)) > 0;) output.append(buffer, size_t(n));
  close(pipeEnds[0]);
  if (spawned != 0) throwInputError("--processes: cannot start convopt again");
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throwInputError("--processes: 'convopt {}' failed", fmt::join(args, " "));
  return output;
}

}  // namespace

std::vector<nlohmann::json> freshProcessResults(const std::vector<std::string>& args, int processes) {
  std::vector<nlohmann::json> results;
  // On a terminal the progress line is rewritten in place; in a log each process gets a line.
  const char* end = isatty(STDERR_FILENO) ? "" : "\n";
  for (int i = 0; i < processes; ++i) {
    std::string output = captureSelf(args);
    nlohmann::json result = nlohmann::json::parse(output, nullptr, false);
    if (!result.is_object() || !result.contains("median_ms") || !result["median_ms"].is_number())
      throwInputError("--processes: 'convopt {}' printed no median: {}", fmt::join(args, " "), output);
    fmt::print(stderr, "\rprocess {}/{}: median {:.3f} ms{}", i + 1, processes, result["median_ms"].get<double>(), end);
    results.push_back(std::move(result));
  }
  if (!*end) fmt::print(stderr, "\n");
  return results;
}

std::string describeSpread(const std::vector<double>& medians) {
  std::vector<double> sorted = medians;
  std::sort(sorted.begin(), sorted.end());
  double middle = runtime::medianOf(sorted);
  return fmt::format("{} fresh processes: medians {:.3f}-{:.3f} ms (median {:.3f}), slowest/fastest {:.2f}",
                     sorted.size(), sorted.front(), sorted.back(), middle, sorted.back() / sorted.front());
}

}  // namespace convopt::tools
