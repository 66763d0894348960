// Replay driver: main() for a fuzz target's LLVMFuzzerTestOneInput in builds without
// libFuzzer (g++, the sanitizer build), so the regression inputs and the seeds run in ctest.
//   replay [--min-inputs=N] [--suffix=S] PATH...
// A PATH that is a file is run; a folder is walked (recursively, sorted) and each regular
// file in it is run, only those whose name ends in S when --suffix=S precedes the folder
// (--suffix= resets). A path that does not exist is an error, and so are fewer than N inputs
// in all (a test that silently replays nothing proves nothing). An input that crashes ends
// the process (signal, sanitizer report, abort) before the summary line.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace fs = std::filesystem;

namespace {

bool endsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void runFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "replay: cannot read '%s'\n", p.c_str());
    std::exit(2);
  }
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (std::getenv("KILN_REPLAY_VERBOSE")) std::fprintf(stderr, "replay: %s\n", p.c_str());
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

}  // namespace

int main(int argc, char** argv) {
  size_t minInputs = 1, ran = 0;
  std::string suffix;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--min-inputs=", 0) == 0) {
      minInputs = std::stoul(arg.substr(13));
      continue;
    }
    if (arg.rfind("--suffix=", 0) == 0) {
      suffix = arg.substr(9);
      continue;
    }
    std::error_code ec;
    if (fs::is_regular_file(arg, ec)) {
      runFile(arg);
      ++ran;
      continue;
    }
    if (!fs::is_directory(arg, ec)) {
      std::fprintf(stderr, "replay: '%s' is neither a file nor a folder\n", arg.c_str());
      return 2;
    }
    std::vector<fs::path> files;
    for (const auto& e : fs::recursive_directory_iterator(arg, ec))
      if (e.is_regular_file() && endsWith(e.path().filename().string(), suffix)) files.push_back(e.path());
    if (ec) {
      std::fprintf(stderr, "replay: cannot walk '%s': %s\n", arg.c_str(), ec.message().c_str());
      return 2;
    }
    std::sort(files.begin(), files.end());
    for (const fs::path& f : files) runFile(f);
    std::printf("replay: %zu inputs from %s\n", files.size(), arg.c_str());
    ran += files.size();
  }
  std::printf("replay: %zu inputs ran, none crashed\n", ran);
  if (ran < minInputs) {
    std::fprintf(stderr, "replay: expected at least %zu inputs\n", minInputs);
    return 1;
  }
  return 0;
}
