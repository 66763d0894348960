#pragma once
/// Reading and writing the files a user names, safely:
///  - inputs are regular files only (a FIFO, a device such as /dev/zero or a folder would
///    block or never end), read up to a size limit, with the OS reason in every error;
///  - outputs are written to a fresh temporary in the target's folder, created exclusively
///    with an unpredictable name (O_EXCL: a planted file or symlink is never followed), then
///    renamed over the target, so a reader sees the old file or the new one and never half of
///    one. Temporaries are removed on failure and when the process gets SIGINT, SIGTERM or
///    SIGHUP.
#include <cstdint>
#include <string>
#include <string_view>

namespace kiln {

/// The whole of regular file `path`; throws Error(Io) naming the path and the reason (not a
/// regular file, larger than `maxBytes`, open/read failure).
std::string readRegularFile(const std::string& path, uint64_t maxBytes = uint64_t{1} << 40);

/// Writes `bytes` to `path` atomically (see above). The new file gets mode 0644 less the
/// umask, or the mode of the file it replaces. Throws Error(Io) with the OS reason.
void writeFileAtomic(const std::string& path, std::string_view bytes);

/// A temporary file created exclusively (empty, mode 0644 less the umask) next to `near`
/// (same folder, name ".<name of near>.<random><suffix>"), removed by the destructor and on
/// those signals unless renamed over its target by commit().
class TempFile {
 public:
  TempFile(const std::string& near, const std::string& suffix);
  ~TempFile();
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  const std::string& path() const { return path_; }
  /// Renames the temporary over `target` (throws Error(Io) with the reason).
  void commit(const std::string& target);

 private:
  std::string path_;
  int slot_ = -1;  ///< entry in the signal-cleanup table
};

}  // namespace kiln
