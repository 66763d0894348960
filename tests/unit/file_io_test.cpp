// Issue 9: reading and writing user files (kiln/support/file_io.h). Inputs are regular files
// only (a FIFO or /dev/zero hung `kiln run`); outputs replace their target atomically through
// an exclusive temporary that never follows a planted link and never outlives the process,
// even when it is killed by a signal.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>

#include "kiln/support/error.h"
#include "kiln/support/file_io.h"

namespace kiln {
namespace {

namespace fs = std::filesystem;

fs::path freshDir(const std::string& name) {
  const fs::path p = fs::path(testing::TempDir()) / ("kiln_file_io_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string ioError(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Io) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return "";
}

size_t entries(const fs::path& dir) { return static_cast<size_t>(std::distance(fs::directory_iterator(dir), {})); }

TEST(FileIo, ReadsRegularFilesOnly) {
  const fs::path dir = freshDir("read");
  std::ofstream(dir / "a.bin", std::ios::binary) << "abc";
  EXPECT_EQ(readRegularFile((dir / "a.bin").string()), "abc");
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0600), 0);
  // Opening a FIFO with no writer would block; it is refused at once.
  EXPECT_NE(ioError([&] { readRegularFile((dir / "fifo").string()); }).find("not a regular file"), std::string::npos);
  EXPECT_NE(ioError([&] { readRegularFile("/dev/zero"); }).find("'/dev/zero': not a regular file"), std::string::npos);
  EXPECT_NE(ioError([&] { readRegularFile(dir.string()); }).find("it is a folder"), std::string::npos);
  EXPECT_NE(ioError([&] { readRegularFile((dir / "absent").string()); }).find("No such file or directory"),
            std::string::npos);
  EXPECT_NE(ioError([&] { readRegularFile((dir / "a.bin").string(), 2); }).find("3 bytes, more than the 2 allowed"),
            std::string::npos);
  fs::remove_all(dir);
}

TEST(FileIo, WritesReplaceTheTargetAndNeverFollowALink) {
  const fs::path dir = freshDir("write");
  const fs::path out = dir / "model.so";
  writeFileAtomic(out.string(), "one");
  EXPECT_EQ(slurp(out), "one");
  const mode_t mask = ::umask(022);
  ::umask(mask);
  EXPECT_EQ(fs::status(out).permissions(), fs::perms(0666 & 0644 & ~mask));
  ::chmod(out.c_str(), 0600);
  writeFileAtomic(out.string(), "two");
  EXPECT_EQ(slurp(out), "two");
  EXPECT_EQ(fs::status(out).permissions(), fs::perms(0600)) << "the replaced file's mode is kept";

  // A symlink planted at the output name is replaced, not written through.
  std::ofstream(dir / "victim", std::ios::binary) << "keep";
  fs::create_symlink(dir / "victim", dir / "link.so");
  writeFileAtomic((dir / "link.so").string(), "new");
  EXPECT_EQ(slurp(dir / "victim"), "keep");
  EXPECT_FALSE(fs::is_symlink(dir / "link.so"));
  EXPECT_EQ(slurp(dir / "link.so"), "new");

  // A failed write (the target is a folder) says why and leaves no temporary behind.
  fs::create_directory(dir / "folder");
  const size_t before = entries(dir);
  EXPECT_NE(ioError([&] { writeFileAtomic((dir / "folder").string(), "x"); }).find("Is a directory"), std::string::npos);
  EXPECT_EQ(entries(dir), before);
  EXPECT_NE(ioError([&] { writeFileAtomic((dir / "absent" / "x.so").string(), "x"); }).find("No such file or directory"),
            std::string::npos);
  fs::remove_all(dir);
}

TEST(FileIo, TemporariesAreExclusiveAndRemoved) {
  const fs::path dir = freshDir("temp");
  {
    TempFile a((dir / "m.so").string(), ".o"), b((dir / "m.so").string(), ".o");
    EXPECT_NE(a.path(), b.path());
    EXPECT_EQ(fs::path(a.path()).parent_path(), dir);
    EXPECT_TRUE(a.path().ends_with(".o"));
    EXPECT_EQ(entries(dir), 2u);
  }
  EXPECT_EQ(entries(dir), 0u) << "removed when dropped";
  {
    TempFile t((dir / "m.so").string(), ".so");
    std::ofstream(t.path(), std::ios::binary) << "lib";
    t.commit((dir / "m.so").string());
  }
  EXPECT_EQ(slurp(dir / "m.so"), "lib");
  EXPECT_EQ(entries(dir), 1u);
  fs::remove_all(dir);
}

// A process killed while it holds temporaries (a link interrupted by Ctrl-C or kill) leaves
// none behind, and still dies of the signal.
TEST(FileIo, TemporariesAreRemovedOnSignals) {
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
    const fs::path dir = freshDir("signal");
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      TempFile a((dir / "m.so").string(), ".o"), b((dir / "m.so").string(), ".so");
      ::raise(sig);
      ::_exit(0);  // not reached
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == sig) << "signal " << sig;
    EXPECT_EQ(entries(dir), 0u) << "signal " << sig;
    fs::remove_all(dir);
  }
}

}  // namespace
}  // namespace kiln
