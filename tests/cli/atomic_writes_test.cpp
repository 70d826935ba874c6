// Every file convopt writes appears whole or not at all (ir/atomic_file.h).
// The process is killed mid-write by the kernel — `ulimit -f` caps the file
// size, and a write past it raises SIGXFSZ — or, with SIGXFSZ ignored, the
// write fails (EFBIG); either way nothing partial is left beside the input,
// an existing output keeps its old contents, and the input is untouched.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <csignal>
#include <functional>

#include <fmt/format.h>

#include "ir/atomic_file.h"
#include "ir/error.h"
#include "tests/support/cli_helpers.h"
#include "tests/support/ir_temp_dir.h"

namespace convopt {
namespace {

namespace fs = std::filesystem;

const fs::path kDemoModel = fs::path(CONVOPT_SOURCE_DIR) / "models" / "demo.onnx";  // 200 kB

std::vector<std::string> filesIn(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::recursive_directory_iterator(dir))
    names.push_back(fs::relative(entry.path(), dir).string());
  std::sort(names.begin(), names.end());
  return names;
}

struct Scratch {
  testing::TempDir dir;
  fs::path work = dir / "work";  // the command's folder: the input and what it writes
  fs::path input = work / "demo.onnx";
  Scratch() {
    fs::create_directory(work);
    fs::copy_file(kDemoModel, input);
  }
  // Runs `convopt ARGS` with files capped at 16 KiB; `failWrites`: SIGXFSZ ignored, so writes fail instead.
  testing::RunResult convoptCapped(const std::string& args, bool failWrites) {
    return testing::runCommand(
        fmt::format("{} ulimit -f 16; '{}' {}", failWrites ? "trap '' XFSZ;" : "", CONVOPT_BINARY, args), dir.path());
  }
};

struct Case {
  const char* name;
  const char* args;      // {in}: the input model, {work}: its folder
  const char* expected;  // the output (relative to the work folder)
};

const Case kCases[] = {
    {"optimize", "optimize --no-verify '{in}' -o '{work}/out.onnx'", "out.onnx"},
    {"optimize with external data", "optimize --no-verify --external-data 1024 '{in}' -o '{work}/out.onnx'",
     "out.onnx.data"},
    {"run --output-dir", "run '{in}' --output-dir '{work}/data'", "data/input_0.pb"},
    {"inspect --html", "inspect '{in}' --html '{work}/report.html'", "report.html"},
};

std::string argsOf(const Case& c, const Scratch& s) {
  return fmt::format(fmt::runtime(c.args), fmt::arg("in", s.input.string()), fmt::arg("work", s.work.string()));
}

// Runs every case capped (`failWrites` as in convoptCapped); checks that the work folder holds
// what it held before and the input is untouched, then hands the result to `check`.
void expectNothingPartial(bool failWrites,
                          const std::function<void(const Case&, const testing::RunResult&, const Scratch&)>& check) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    Scratch s;
    if (std::string(c.name).starts_with("run")) fs::create_directory(s.work / "data");
    std::vector<std::string> before = filesIn(s.work);
    testing::RunResult r = s.convoptCapped(argsOf(c, s), failWrites);
    EXPECT_EQ(filesIn(s.work), before);
    EXPECT_EQ(testing::readFile(s.input), testing::readFile(kDemoModel));
    check(c, r, s);
  }
}

TEST(AtomicWrites, KilledMidWriteLeavesNothing) {
  expectNothingPartial(false, [](const Case&, const testing::RunResult& r, const Scratch&) {
    EXPECT_EQ(r.exitCode, 128 + SIGXFSZ) << r.stderrText;  // the shell reports the signal
  });
}

TEST(AtomicWrites, FailedWriteIsAClearErrorAndLeavesNothing) {
  expectNothingPartial(true, [](const Case& c, const testing::RunResult& r, const Scratch& s) {
    EXPECT_EQ(r.exitCode, 2) << r.stderrText;
    EXPECT_NE(r.stderrText.find(
                  fmt::format("convopt: error: cannot write '{}/{}': File too large", s.work.string(), c.expected)),
              std::string::npos)
        << r.stderrText;
  });
}

TEST(AtomicWrites, AnOldOutputSurvivesAKilledRewrite) {
  Scratch s;
  testing::writeFile(s.work / "out.onnx", "the previous output");
  testing::RunResult r = s.convoptCapped(argsOf(kCases[0], s), false);
  EXPECT_EQ(r.exitCode, 128 + SIGXFSZ) << r.stderrText;
  EXPECT_EQ(testing::readFile(s.work / "out.onnx"), "the previous output");
  EXPECT_EQ(filesIn(s.work), (std::vector<std::string>{"demo.onnx", "out.onnx"}));
}

TEST(AtomicWrites, UnwritableFolderIsAClearError) {
  Scratch s;
  testing::RunResult r = testing::runConvopt(
      fmt::format("optimize --no-verify '{}' -o '{}/missing/out.onnx'", s.input.string(), s.work.string()),
      s.dir.path());
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_EQ(r.stderrText, fmt::format("convopt: error: cannot write '{}/missing/out.onnx': No such file or directory\n",
                                      s.work.string()));
}

// A command never writes over the model it reads, whatever the name it is given:
// the same path, one through "..", a symbolic link, a hard link.
TEST(AtomicWrites, OutputThatIsTheInputIsRefusedAndTheInputKept) {
  Scratch s;
  fs::create_symlink(s.input, s.work / "link.onnx");
  fs::create_hard_link(s.input, s.work / "hard.onnx");
  for (std::string target : {"demo.onnx", "../work/demo.onnx", "link.onnx", "hard.onnx"})
    for (std::string command : {"optimize --no-verify '{in}' -o '{out}'", "inspect '{in}' --html '{out}'",
                                "bench '{in}' --runs 1 --trace '{out}'", "compile '{in}' --emit-llvm '{out}'",
                                "optimize --no-verify '{in}' -o '{work}/x.onnx' --report '{out}'"}) {
      std::string out = (s.work / target).string();
      std::string args = fmt::format(fmt::runtime(command), fmt::arg("in", s.input.string()), fmt::arg("out", out),
                                     fmt::arg("work", s.work.string()));
      SCOPED_TRACE(args);
      testing::RunResult r = testing::runConvopt(args, s.dir.path());
      EXPECT_EQ(r.exitCode, 2);
      EXPECT_EQ(r.stderrText,
                fmt::format("convopt: error: cannot write '{}': it is the input '{}', which convopt never "
                            "overwrites; write to another path\n",
                            out, s.input.string()));
      EXPECT_EQ(testing::readFile(s.input), testing::readFile(kDemoModel));
    }
  // Nor the external data the model read its weights from.
  testing::RunResult made = testing::runConvopt(fmt::format("optimize --no-verify --external-data 1024 '{}' -o '{}'",
                                                            s.input.string(), (s.work / "ext.onnx").string()),
                                                s.dir.path());
  ASSERT_EQ(made.exitCode, 0) << made.stderrText;
  std::string weights = testing::readFile(s.work / "ext.onnx.data");
  testing::RunResult r =
      testing::runConvopt(fmt::format("optimize --no-verify '{}' -o '{}'", (s.work / "ext.onnx").string(),
                                      (s.work / "ext.onnx.data").string()),
                          s.dir.path());
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.stderrText.find("it is the input"), std::string::npos) << r.stderrText;
  EXPECT_EQ(testing::readFile(s.work / "ext.onnx.data"), weights);
  fs::remove(s.work / "ext.onnx"), fs::remove(s.work / "ext.onnx.data");
  std::vector<std::string> names;  // filesIn would name the link by its target
  for (const auto& entry : fs::directory_iterator(s.work)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"demo.onnx", "hard.onnx", "link.onnx"}));
}

// run --output-dir writes a data set: never over the --check set it reads (the
// goldens would become the outputs checked against them) or with an output over
// an --input file, and nothing of it before the refusal.
TEST(AtomicWrites, RunNeverWritesItsDataSetOverWhatItReads) {
  Scratch s;
  fs::path set = s.work / "set";
  testing::RunResult made =
      testing::runConvopt(fmt::format("run '{}' --output-dir '{}'", s.input.string(), set.string()), s.dir.path());
  ASSERT_EQ(made.exitCode, 0) << made.stderrText;
  // A rewrite would give the same bytes: it is seen as a new file (writes are
  // atomic: a new inode under the old name).
  auto inodes = [&] {
    std::vector<ino_t> numbers;
    for (const char* file : {"input_0.pb", "output_0.pb"}) {
      struct stat info {};
      EXPECT_EQ(::stat((set / file).c_str(), &info), 0);
      numbers.push_back(info.st_ino);
    }
    return numbers;
  };
  std::vector<ino_t> before = inodes();
  for (std::string args :
       {"--check '{set}' --output-dir '{set}'", "--input image='{set}/output_0.pb' --output-dir '{set}'"}) {
    args = fmt::format(fmt::runtime(args), fmt::arg("set", set.string()));
    SCOPED_TRACE(args);
    testing::RunResult r = testing::runConvopt(fmt::format("run '{}' {}", s.input.string(), args), s.dir.path());
    EXPECT_EQ(r.exitCode, 2);
    EXPECT_TRUE(r.stderrText.starts_with(fmt::format("convopt: error: cannot write '{}", set.string())))
        << r.stderrText;
    EXPECT_EQ(inodes(), before);
  }
}

// A symbolic link is followed (its target replaced, the link kept); a FIFO or
// device (/dev/null, which run as root would otherwise be replaced by a file)
// is written into as it is.
TEST(AtomicWrites, LinksAreFollowedAndSpecialFilesWrittenInto) {
  Scratch s;
  testing::writeFile(s.work / "target.html", "old");
  fs::create_symlink("target.html", s.work / "link.html");
  testing::RunResult r = testing::runConvopt(
      fmt::format("inspect '{}' --html '{}'", s.input.string(), (s.work / "link.html").string()), s.dir.path());
  ASSERT_EQ(r.exitCode, 0) << r.stderrText;
  EXPECT_TRUE(fs::is_symlink(s.work / "link.html"));
  EXPECT_NE(testing::readFile(s.work / "target.html").find("<html"), std::string::npos);
  fs::create_symlink("new.html", s.work / "dangling.html");  // its target made, the link kept
  r = testing::runConvopt(
      fmt::format("inspect '{}' --html '{}'", s.input.string(), (s.work / "dangling.html").string()), s.dir.path());
  ASSERT_EQ(r.exitCode, 0) << r.stderrText;
  EXPECT_TRUE(fs::is_symlink(s.work / "dangling.html"));
  EXPECT_NE(testing::readFile(s.work / "new.html").find("<html"), std::string::npos);
  r = testing::runCommand(
      fmt::format("cd '{}' && mkfifo pipe.html && {{ timeout 60 cat pipe.html > got.html & timeout 60 '{}' "
                  "inspect '{}' --html pipe.html; status=$?; kill $! 2>/dev/null; wait; exit $status; }}",
                  s.work.string(), CONVOPT_BINARY, s.input.string()),
      s.dir.path());
  ASSERT_EQ(r.exitCode, 0) << r.stderrText;
  EXPECT_EQ(fs::status(s.work / "pipe.html").type(), fs::file_type::fifo);
  EXPECT_NE(testing::readFile(s.work / "got.html").find("<html"), std::string::npos);
}

// What a command checks before long work (bench --trace): the error a write would give, and nothing written.
TEST(AtomicWrites, CheckWritableRefusesWhatAWriteWouldAndCreatesNothing) {
  Scratch s;
  EXPECT_NO_THROW(ir::checkWritable(s.work / "trace.json"));
  for (auto [path, reason] : {std::pair{s.work / "missing" / "trace.json", "No such file or directory"},
                              std::pair{s.input / "trace.json", "Not a directory"}}) {
    try {
      ir::checkWritable(path);
      ADD_FAILURE() << path << " was taken as writable";
    } catch (const InputError& e) {
      EXPECT_EQ(std::string(e.what()), fmt::format("cannot write '{}': {}", path.string(), reason));
    }
  }
  EXPECT_EQ(filesIn(s.work), (std::vector<std::string>{"demo.onnx"}));
}

}  // namespace
}  // namespace convopt
