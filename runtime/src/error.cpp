#include "error.h"

#include <cstring>

namespace kiln::rt::impl {
namespace {
// A fixed buffer, so that recording an error can never itself fail to allocate.
constexpr size_t kCapacity = 2048;
thread_local char tlLastError[kCapacity] = "";
}  // namespace

void fail(kiln_status status, std::string message) { throw Failure{status, std::move(message)}; }

void setLastError(const char* message) noexcept {
  size_t n = std::strlen(message);
  if (n >= kCapacity) n = kCapacity - 1;
  std::memcpy(tlLastError, message, n);
  tlLastError[n] = '\0';
}

void clearLastError() noexcept { tlLastError[0] = '\0'; }

const char* lastError() noexcept { return tlLastError; }

}  // namespace kiln::rt::impl
