// Object -> shared library with the system C compiler (cc -shared).
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sys/wait.h>
#include <unistd.h>

#include "codegen/compile.h"
#include "codegen/target.h"
#include "kiln/support/error.h"
#include "kiln/support/file_io.h"

namespace kiln::cpu {

namespace {

// $CC, else the first of cc, gcc, clang found on PATH; "" if none.
std::string findCompiler() {
  if (const char* cc = std::getenv("CC"); cc && *cc) return cc;
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  for (const char* name : {"cc", "gcc", "clang"}) {
    size_t start = 0;
    while (start <= dirs.size()) {
      const size_t end = std::min(dirs.find(':', start), dirs.size());
      const std::string candidate = dirs.substr(start, end - start) + "/" + name;
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
      start = end + 1;
    }
  }
  return "";
}

std::string shellQuote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

}  // namespace

void linkSharedLibrary(const std::string& object, const std::string& path) {
  const std::string cc = findCompiler();
  if (cc.empty())
    throw Error(ErrorCode::Io, "cannot link '" + path + "': no C compiler found (set CC or install cc)");
  // Exclusive temporaries with unpredictable names next to `path`, removed whatever happens
  // (signals included); the library replaces `path` only once it is complete.
  TempFile obj(path, ".o"), lib(path, ".so");
  writeFileAtomic(obj.path(), object);
  const std::string cmd =
      shellQuote(cc) + " -shared -o " + shellQuote(lib.path()) + " " + shellQuote(obj.path()) + " -lm 2>&1";
  std::string output;
  FILE* p = ::popen(cmd.c_str(), "r");
  int status = -1;
  if (p) {
    char buf[512];
    while (size_t n = std::fread(buf, 1, sizeof buf, p)) output.append(buf, n);
    status = ::pclose(p);
  }
  if (status != 0) throw Error(ErrorCode::Io, "linking '" + path + "' with " + cc + " failed: " + output);
  lib.commit(path);
}

}  // namespace kiln::cpu
