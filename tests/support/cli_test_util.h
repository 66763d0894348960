#pragma once
/// Helpers for tests that run the `kiln` executable (tests/e2e/cli_*_test.cpp and
/// tests/errors/cli_*_test.cpp): run it with captured stdout/stderr, scratch folders, file
/// snapshots, and a small JSON reader for `--json` outputs.
///
/// The tests run build/bin/kiln; `cmake --build <dir>` (the default target) builds it along
/// with the test binaries. When it is missing the tests fail with a message saying so.
#include <sys/wait.h>

#include <atomic>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <unistd.h>
#include <variant>
#include <vector>

#include "test_util.h"

namespace kiln::test::cli {

namespace fs = std::filesystem;

/// Path of the kiln tool under test.
inline std::string kilnPath() { return binaryPath("bin/kiln"); }

/// Whole file as bytes ("" when missing).
inline std::string readFile(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream os;
  os << f.rdbuf();
  return os.str();
}

inline void writeFile(const fs::path& p, const std::string& bytes) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f << bytes;
}

/// A fresh folder under the system temp folder, removed with everything in it at the end.
class ScratchDir {
 public:
  ScratchDir() {
    static std::atomic<int> counter{0};
    path_ = fs::temp_directory_path() /
            ("kiln-cli-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  std::string file(const std::string& name) const { return (path_ / name).string(); }
  const fs::path& path() const { return path_; }
  /// Names of the files in the folder (to check that nothing, not even a temp file, was left).
  std::set<std::string> listing() const {
    std::set<std::string> names;
    for (const auto& e : fs::directory_iterator(path_)) names.insert(e.path().filename().string());
    return names;
  }

 private:
  fs::path path_;
};

struct CliResult {
  int exitCode = -1;  ///< the process's exit status; -N when killed by signal N
  std::string out, err;
};

inline std::string shellQuote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

/// Runs `kiln args...` (under a 10-minute timeout: a hang fails the test, exit 124) with
/// stdout and stderr captured in files.
inline CliResult runKiln(const std::vector<std::string>& args) {
  ScratchDir capture;
  std::string cmd = "timeout 600 " + shellQuote(kilnPath());
  for (const std::string& a : args) cmd += " " + shellQuote(a);
  cmd += " >" + shellQuote(capture.file("out")) + " 2>" + shellQuote(capture.file("err")) +
         " </dev/null";
  CliResult r;
  int status = std::system(cmd.c_str());
  if (status != -1 && WIFEXITED(status))
    r.exitCode = WEXITSTATUS(status);
  else if (status != -1 && WIFSIGNALED(status))
    r.exitCode = -WTERMSIG(status);
  r.out = readFile(capture.file("out"));
  r.err = readFile(capture.file("err"));
  return r;
}

/// Printable summary of a run for assertion messages.
inline std::string describe(const CliResult& r) {
  return "exit " + std::to_string(r.exitCode) + "\n--- stdout:\n" + r.out.substr(0, 4000) +
         "\n--- stderr:\n" + r.err.substr(0, 4000);
}

// ---- a small JSON reader (enough for kiln's --json outputs)

struct Json {
  using Array = std::vector<Json>;
  using Object = std::map<std::string, Json>;
  std::variant<std::nullptr_t, bool, double, std::string, Array, Object> v;

  bool isNull() const { return std::holds_alternative<std::nullptr_t>(v); }
  double num() const { return std::get<double>(v); }
  bool boolean() const { return std::get<bool>(v); }
  const std::string& str() const { return std::get<std::string>(v); }
  const Array& arr() const { return std::get<Array>(v); }
  const Object& obj() const { return std::get<Object>(v); }
  bool has(const std::string& k) const { return obj().count(k) > 0; }
  /// Member `k`; throws std::out_of_range naming it when absent.
  const Json& operator[](const std::string& k) const {
    auto it = obj().find(k);
    if (it == obj().end()) throw std::out_of_range("JSON has no member '" + k + "'");
    return it->second;
  }
};

class JsonParser {
 public:
  explicit JsonParser(const std::string& text) : s_(text) {}
  Json parseDocument() {
    Json j = parseValue();
    skipSpace();
    if (i_ != s_.size()) fail("trailing characters");
    return j;
  }

 private:
  [[noreturn]] void fail(const std::string& what) {
    throw std::runtime_error("JSON: " + what + " at offset " + std::to_string(i_));
  }
  void skipSpace() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  bool consume(const std::string& word) {
    if (s_.compare(i_, word.size(), word) != 0) return false;
    i_ += word.size();
    return true;
  }
  void expect(char c) {
    skipSpace();
    if (i_ >= s_.size() || s_[i_] != c) fail(std::string("expected '") + c + "'");
    ++i_;
  }
  std::string parseString() {
    expect('"');
    std::string out;
    while (i_ < s_.size() && s_[i_] != '"') {
      char c = s_[i_++];
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i_ >= s_.size()) fail("bad escape");
      char e = s_[i_++];
      switch (e) {
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'u': {
          if (i_ + 4 > s_.size()) fail("bad \\u escape");
          unsigned code = std::stoul(s_.substr(i_, 4), nullptr, 16);
          i_ += 4;
          out += code < 0x80 ? static_cast<char>(code) : '?';  // ASCII is all kiln emits
          break;
        }
        default: out += e;
      }
    }
    expect('"');
    return out;
  }
  Json parseValue() {
    skipSpace();
    if (i_ >= s_.size()) fail("unexpected end");
    char c = s_[i_];
    Json j;
    if (c == '{') {
      ++i_;
      Json::Object o;
      skipSpace();
      if (i_ < s_.size() && s_[i_] == '}') {
        ++i_;
      } else {
        do {
          std::string k = parseString();
          expect(':');
          o[k] = parseValue();
          skipSpace();
        } while (i_ < s_.size() && s_[i_] == ',' && ++i_);
        expect('}');
      }
      j.v = std::move(o);
    } else if (c == '[') {
      ++i_;
      Json::Array a;
      skipSpace();
      if (i_ < s_.size() && s_[i_] == ']') {
        ++i_;
      } else {
        do {
          a.push_back(parseValue());
          skipSpace();
        } while (i_ < s_.size() && s_[i_] == ',' && ++i_);
        expect(']');
      }
      j.v = std::move(a);
    } else if (c == '"') {
      j.v = parseString();
    } else if (consume("true")) {
      j.v = true;
    } else if (consume("false")) {
      j.v = false;
    } else if (consume("null")) {
      j.v = nullptr;
    } else {
      size_t used = 0;
      try {
        j.v = std::stod(s_.substr(i_), &used);
      } catch (const std::exception&) {
        fail("bad value");
      }
      i_ += used;
    }
    return j;
  }

  const std::string& s_;
  size_t i_ = 0;
};

inline Json parseJson(const std::string& text) { return JsonParser(text).parseDocument(); }

}  // namespace kiln::test::cli
