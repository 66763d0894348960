#include "kiln/support/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>

#include "kiln/support/error.h"

namespace kiln {

namespace {

std::string reason() { return std::strerror(errno); }

// ---- removal of live temporaries on SIGINT / SIGTERM / SIGHUP. The handler only calls
// unlink (async-signal-safe) on fixed buffers, then re-raises with the default action.
constexpr int kSlots = 64;
constexpr size_t kPathMax = 4096;
char gPaths[kSlots][kPathMax];
std::atomic<bool> gUsed[kSlots];
struct sigaction gPrevious[3];
constexpr int kSignals[3] = {SIGINT, SIGTERM, SIGHUP};

extern "C" void removeTempsAndReraise(int sig) {
  for (int i = 0; i < kSlots; ++i)
    if (gUsed[i].load()) ::unlink(gPaths[i]);
  for (int k = 0; k < 3; ++k)
    if (kSignals[k] == sig) ::sigaction(sig, &gPrevious[k], nullptr);
  ::raise(sig);
}

void installHandlersOnce() {
  static const bool installed = [] {
    for (int k = 0; k < 3; ++k) {
      struct sigaction old {};
      ::sigaction(kSignals[k], nullptr, &old);
      gPrevious[k] = old;
      if (old.sa_handler != SIG_DFL) continue;  // the embedding program handles it
      struct sigaction sa {};
      sa.sa_handler = removeTempsAndReraise;
      sigemptyset(&sa.sa_mask);
      ::sigaction(kSignals[k], &sa, nullptr);
    }
    return true;
  }();
  (void)installed;
}

int registerTemp(const std::string& path) {
  installHandlersOnce();
  if (path.size() >= kPathMax) return -1;
  for (int i = 0; i < kSlots; ++i) {
    bool expected = false;
    if (gUsed[i].load() || !gUsed[i].compare_exchange_strong(expected, true)) continue;
    // Written while marked used: a signal arriving now unlinks a half-written name at worst.
    std::memcpy(gPaths[i], path.c_str(), path.size() + 1);
    return i;
  }
  return -1;  // table full: the temporary is still removed on every normal path
}

void unregisterTemp(int slot) {
  if (slot >= 0) gUsed[slot].store(false);
}

}  // namespace

std::string readRegularFile(const std::string& path, uint64_t maxBytes) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then refuses it.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) throw Error(ErrorCode::Io, "cannot open '" + path + "': " + reason());
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const std::string why = reason();
    ::close(fd);
    throw Error(ErrorCode::Io, "cannot read '" + path + "': " + why);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    throw Error(ErrorCode::Io, "cannot read '" + path + "': " + (S_ISDIR(st.st_mode) ? "it is a folder" : "not a regular file"));
  }
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size > maxBytes) {
    ::close(fd);
    throw Error(ErrorCode::Io, "cannot read '" + path + "': " + std::to_string(size) + " bytes, more than the " +
                                   std::to_string(maxBytes) + " allowed");
  }
  std::string bytes(size, '\0');
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::read(fd, bytes.data() + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = n < 0 ? reason() : "the file shrank while it was read";
      ::close(fd);
      throw Error(ErrorCode::Io, "cannot read '" + path + "': " + why);
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  return bytes;
}

TempFile::TempFile(const std::string& near, const std::string& suffix) {
  namespace fs = std::filesystem;
  const fs::path target(near);
  const fs::path dir = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  // O_CREAT | O_EXCL with a random name: never an existing file or a planted symlink; mode
  // 0644 less the umask, as any new file of the user's.
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::random_device rd;
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string name = "." + target.filename().string() + ".";
    for (int i = 0; i < 12; ++i) name += kAlphabet[rd() % (sizeof kAlphabet - 1)];
    const std::string candidate = (dir / (name + suffix)).string();
    const int fd = ::open(candidate.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0 && errno == EEXIST) continue;
    if (fd < 0)
      throw Error(ErrorCode::Io, "cannot write '" + near + "': cannot create a temporary file in '" +
                                     dir.string() + "': " + reason());
    ::close(fd);
    path_ = candidate;
    slot_ = registerTemp(path_);
    return;
  }
  throw Error(ErrorCode::Io, "cannot write '" + near + "': no unused temporary name in '" + dir.string() + "'");
}

TempFile::~TempFile() {
  if (!path_.empty()) ::unlink(path_.c_str());
  unregisterTemp(slot_);
}

void TempFile::commit(const std::string& target) {
  if (std::rename(path_.c_str(), target.c_str()) != 0)
    throw Error(ErrorCode::Io, "cannot write '" + target + "': renaming '" + path_ + "' over it failed: " + reason());
  unregisterTemp(slot_);
  slot_ = -1;
  path_.clear();
}

void writeFileAtomic(const std::string& path, std::string_view bytes) {
  TempFile tmp(path, "");
  const int fd = ::open(tmp.path().c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) throw Error(ErrorCode::Io, "cannot write '" + path + "': " + reason());
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) ::fchmod(fd, st.st_mode & 07777);  // keep its mode
  auto fail = [&](const std::string& why) {
    ::close(fd);
    throw Error(ErrorCode::Io, "cannot write '" + path + "': " + why);
  };
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail(n < 0 ? reason() : "the write made no progress");
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) fail(reason());
  if (::close(fd) != 0) throw Error(ErrorCode::Io, "cannot write '" + path + "': " + reason());
  tmp.commit(path);
}

}  // namespace kiln
