#include "opset_upgrade.h"

#include <fcntl.h>
#include <onnx/checker.h>
#include <onnx/shape_inference/implementation.h>
#include <onnx/version_converter/convert.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <string>

#include "kiln/support/error.h"

namespace kiln::fe {

namespace {

// Seconds the converter may take (it copies the model twice: seconds for a large one).
constexpr unsigned kConverterSeconds = 30;

// Child side: "K" + the converted model, or "E" + the reason ONNX gave.
std::string convertInChild(const onnx::ModelProto& model) {
  try {
    // The converter trusts its input: the checker first, so a malformed old model is refused
    // with the checker's reason instead of reaching the adapters.
    onnx::checker::check_model(model);
    // The adapters (e.g. Add's old broadcast attribute) need the operands' shapes: ONNX's
    // shape inference records them first (lenient: what it cannot infer stays unknown).
    onnx::ModelProto typed = model;
    onnx::shape_inference::InferShapes(typed);
    return "K" + onnx::version_conversion::ConvertVersion(typed, static_cast<int>(kDirectMinOpset)).SerializeAsString();
  } catch (const std::exception& e) {
    std::string reason = e.what();
    if (reason.size() > 400) reason = reason.substr(0, 400) + "...";
    return "E" + reason;
  }
}

bool writeAll(int fd, const std::string& s) {
  for (size_t done = 0; done < s.size();) {
    const ssize_t n = ::write(fd, s.data() + done, s.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

// ONNX's checker and converter are not hardened against malformed graphs (mutated models
// crash graphProtoToGraph after passing the checker), so they run in a child process: a crash
// or a hang there is an error naming the model, never kiln's crash.
onnx::ModelProto upgradeToOpset7(const onnx::ModelProto& model, int64_t from) {
  const std::string what = "upgrading opset " + std::to_string(from) + " to " + std::to_string(kDirectMinOpset) +
                           " with ONNX's version converter";
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw Error(ErrorCode::Io, what + ": pipe: " + std::strerror(errno));
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int e = errno;
    ::close(fds[0]);
    ::close(fds[1]);
    throw Error(ErrorCode::Io, what + ": fork: " + std::strerror(e));
  }
  if (pid == 0) {
    ::close(fds[0]);
    // A crash report of the child (a sanitizer's, say) is not the user's business; the
    // parent reports the outcome.
    const int devnull = ::open("/dev/null", O_WRONLY);
    if (devnull >= 0) ::dup2(devnull, STDERR_FILENO);
    ::alarm(kConverterSeconds);
    ::_exit(writeAll(fds[1], convertInChild(model)) ? 0 : 3);
  }
  ::close(fds[1]);
  std::string out;
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status) || !WIFEXITED(status) || WEXITSTATUS(status) != 0 || out.empty()) {
    const std::string how = WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM
                                ? "did not finish in " + std::to_string(kConverterSeconds) + " s"
                            : WIFSIGNALED(status) ? std::string("crashed (") + ::strsignal(WTERMSIG(status)) + ")"
                                                  : "failed (exit status " + std::to_string(WEXITSTATUS(status)) + ")";
    throw Error(ErrorCode::Unsupported, what + " " + how + " on this model; convert it with onnx.version_converter yourself");
  }
  if (out[0] == 'E') throw Error(ErrorCode::Unsupported, what + " failed: " + out.substr(1));
  onnx::ModelProto upgraded;
  if (out[0] != 'K' || !upgraded.ParseFromArray(out.data() + 1, static_cast<int>(out.size() - 1)))
    throw Error(ErrorCode::Internal, what + ": the converted model does not parse");
  return upgraded;
}

}  // namespace kiln::fe
