#pragma once
/// Internal error handling: runtime code throws Failure; every C entry point runs its body
/// through guard(), which turns any exception into a kiln_status plus the thread's last error.
#include <exception>
#include <new>
#include <string>

#include "kiln/kiln_types.h"

namespace kiln::rt::impl {

/// A user-facing failure on its way to the C boundary.
struct Failure {
  kiln_status status;
  std::string message;
};

/// Throws Failure{status, message}.
[[noreturn]] void fail(kiln_status status, std::string message);

/// Replaces the calling thread's last-error text (never throws).
void setLastError(const char* message) noexcept;
/// Empties the calling thread's last-error text.
void clearLastError() noexcept;
/// The calling thread's last-error text.
const char* lastError() noexcept;

/// Runs `body` (returning void) and maps what it throws onto a status; clears the last error first.
template <class Body>
kiln_status guard(Body&& body) noexcept {
  clearLastError();
  try {
    body();
    return KILN_STATUS_OK;
  } catch (const Failure& f) {
    setLastError(f.message.c_str());
    return f.status;
  } catch (const std::bad_alloc&) {
    setLastError("out of memory");
    return KILN_STATUS_OUT_OF_MEMORY;
  } catch (const std::exception& e) {
    setLastError(e.what());
    return KILN_STATUS_INTERNAL;
  } catch (...) {
    setLastError("unknown internal error");
    return KILN_STATUS_INTERNAL;
  }
}

}  // namespace kiln::rt::impl
