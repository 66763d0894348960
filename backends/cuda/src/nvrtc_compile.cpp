// NVRTC: the generated translation unit -> PTX or cubin.
#include <nvrtc.h>

#include <cstdlib>
#include <sstream>

#include "code_writer.h"
#include "kiln/backends/cuda/cuda_backend.h"
#include "kiln/support/error.h"

namespace kiln::cuda {

namespace {

// The __global__ function around line `line` (1-based) of `source`, for messages.
std::string kernelAtLine(const std::string& source, long line) {
  std::istringstream in(source);
  std::string text, last;
  for (long n = 1; std::getline(in, text) && n <= line; ++n) {
    const size_t at = text.find("__global__ void ");
    if (at == std::string::npos) continue;
    size_t begin = text.find(") ", at);  // past __launch_bounds__(...)
    begin = begin == std::string::npos ? at + 16 : begin + 2;
    last = text.substr(begin, text.find('(', begin) - begin);
  }
  return last;
}

// The line number of the first "NAME.cu(LINE): error" in the log, or 0.
long firstErrorLine(const std::string& log, const std::string& file) {
  for (size_t at = log.find(file + "("); at != std::string::npos; at = log.find(file + "(", at + 1)) {
    const size_t close = log.find(')', at);
    if (close != std::string::npos && log.compare(close, 8, "): error") == 0)
      return std::strtol(log.c_str() + at + file.size() + 1, nullptr, 10);
  }
  return 0;
}

struct ProgramGuard {
  nvrtcProgram prog = nullptr;
  ~ProgramGuard() {
    if (prog) nvrtcDestroyProgram(&prog);
  }
};

}  // namespace

std::string nvrtcCompile(const std::string& source, const std::string& name, const std::string& arch) {
  const std::string file = (name.empty() ? std::string("model") : identifier(name, 64)) + ".cu";
  auto fail = [&](const std::string& what, nvrtcResult r, const std::string& log) -> std::string {
    std::string msg = "cuda backend: NVRTC " + what + " for model '" + name + "' (" + arch + ") failed: " +
                      nvrtcGetErrorString(r);
    if (const long line = firstErrorLine(log, file); line > 0) {
      const std::string kernel = kernelAtLine(source, line);
      if (!kernel.empty()) msg += " in kernel " + kernel;
    }
    throw Error(ErrorCode::Internal, msg + (log.empty() ? "" : "\n" + log));
  };
  ProgramGuard g;
  if (nvrtcResult r = nvrtcCreateProgram(&g.prog, source.c_str(), file.c_str(), 0, nullptr, nullptr); r != NVRTC_SUCCESS)
    return fail("nvrtcCreateProgram", r, "");
  const std::string archOpt = "--gpu-architecture=" + arch;
  const char* options[] = {archOpt.c_str(), "-std=c++17", "--prec-div=true", "--prec-sqrt=true", "--ftz=false",
                           "--fmad=true"};
  const nvrtcResult r = nvrtcCompileProgram(g.prog, static_cast<int>(std::size(options)), options);
  std::string log;
  size_t logSize = 0;
  if (nvrtcGetProgramLogSize(g.prog, &logSize) == NVRTC_SUCCESS && logSize > 1) {
    log.resize(logSize);
    nvrtcGetProgramLog(g.prog, log.data());
    log.resize(logSize - 1);
  }
  if (r != NVRTC_SUCCESS) return fail("compilation", r, log);
  const bool ptx = arch.rfind("compute_", 0) == 0;
  size_t size = 0;
  if (nvrtcResult e = ptx ? nvrtcGetPTXSize(g.prog, &size) : nvrtcGetCUBINSize(g.prog, &size); e != NVRTC_SUCCESS)
    return fail(ptx ? "nvrtcGetPTXSize" : "nvrtcGetCUBINSize", e, log);
  std::string image(size, '\0');
  if (nvrtcResult e = ptx ? nvrtcGetPTX(g.prog, image.data()) : nvrtcGetCUBIN(g.prog, image.data()); e != NVRTC_SUCCESS)
    return fail(ptx ? "nvrtcGetPTX" : "nvrtcGetCUBIN", e, log);
  if (ptx && !image.empty() && image.back() == '\0') image.pop_back();  // text, terminated by c_str()
  return image;
}

}  // namespace kiln::cuda
