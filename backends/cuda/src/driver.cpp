#include "driver.h"

#include <dlfcn.h>

#include <cstdlib>

#include "kiln/backends/cuda/cuda_backend.h"
#include "kiln/support/error.h"

namespace kiln::cuda {

namespace {

struct Loaded {
  Driver api{};
  bool ok = false;
  std::string reason;
};

template <typename F> bool bind(void* lib, const char* symbol, F& fn, std::string& missing) {
  fn = reinterpret_cast<F>(dlsym(lib, symbol));
  if (!fn && missing.empty()) missing = symbol;
  return fn != nullptr;
}

Loaded load() {
  Loaded l;
  // $KILN_CUDA_DRIVER names another driver library (a specific install; the tests' fake).
  const char* env = std::getenv("KILN_CUDA_DRIVER");
  const std::string path = env && *env ? env : "libcuda.so.1";
  dlerror();
  void* lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);  // never closed: kernels may outlive callers
  if (!lib) {
    const char* e = dlerror();
    l.reason = "cuda backend: no CUDA driver (dlopen " + path + ": " + (e ? e : "unknown error") + ")";
    return l;
  }
  Driver& d = l.api;
  std::string missing;
  bind(lib, "cuInit", d.init, missing);
  bind(lib, "cuDeviceGetCount", d.deviceGetCount, missing);
  bind(lib, "cuDeviceGet", d.deviceGet, missing);
  bind(lib, "cuDeviceGetAttribute", d.deviceGetAttribute, missing);
  bind(lib, "cuDeviceGetName", d.deviceGetName, missing);
  bind(lib, "cuDevicePrimaryCtxRetain", d.primaryCtxRetain, missing);
  bind(lib, "cuDevicePrimaryCtxRelease_v2", d.primaryCtxRelease, missing);
  bind(lib, "cuCtxPushCurrent_v2", d.ctxPushCurrent, missing);
  bind(lib, "cuCtxPopCurrent_v2", d.ctxPopCurrent, missing);
  bind(lib, "cuCtxSynchronize", d.ctxSynchronize, missing);
  bind(lib, "cuModuleLoadData", d.moduleLoadData, missing);
  bind(lib, "cuModuleUnload", d.moduleUnload, missing);
  bind(lib, "cuModuleGetFunction", d.moduleGetFunction, missing);
  bind(lib, "cuMemAlloc_v2", d.memAlloc, missing);
  bind(lib, "cuMemFree_v2", d.memFree, missing);
  bind(lib, "cuMemcpyHtoD_v2", d.memcpyHtoD, missing);
  bind(lib, "cuMemcpyDtoH_v2", d.memcpyDtoH, missing);
  bind(lib, "cuMemsetD32_v2", d.memsetD32, missing);
  bind(lib, "cuLaunchKernel", d.launchKernel, missing);
  bind(lib, "cuGetErrorName", d.getErrorName, missing);
  bind(lib, "cuGetErrorString", d.getErrorString, missing);
  if (!missing.empty()) {
    l.reason = "cuda backend: the CUDA driver " + path + " lacks " + missing + " (driver too old)";
    return l;
  }
  if (CUresult r = d.init(0); r != CUDA_SUCCESS) {
    l.reason = "cuda backend: the CUDA driver did not initialise (cuInit: " + d.describe(r) + ")";
    return l;
  }
  int count = 0;
  if (CUresult r = d.deviceGetCount(&count); r != CUDA_SUCCESS || count == 0) {
    l.reason = "cuda backend: no CUDA device (cuDeviceGetCount: " +
               (r != CUDA_SUCCESS ? d.describe(r) : std::string("0 devices")) + ")";
    return l;
  }
  CUdevice dev = 0;
  int major = 0, minor = 0;
  char name[128] = "?";
  if (d.deviceGet(&dev, 0) != CUDA_SUCCESS ||
      d.deviceGetAttribute(&major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev) != CUDA_SUCCESS ||
      d.deviceGetAttribute(&minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev) != CUDA_SUCCESS) {
    l.reason = "cuda backend: cannot query CUDA device 0";
    return l;
  }
  d.deviceGetName(name, sizeof name, dev);
  if (major < 8) {
    l.reason = "cuda backend: CUDA device 0 (" + std::string(name) + ") has compute capability " +
               std::to_string(major) + "." + std::to_string(minor) + "; the kernels need 8.0 or newer";
    return l;
  }
  l.ok = true;
  return l;
}

const Loaded& loaded() {
  static const Loaded l = load();
  return l;
}

}  // namespace

std::string Driver::describe(CUresult r) const {
  const char* name = nullptr;
  const char* text = nullptr;
  if (getErrorName) getErrorName(r, &name);
  if (getErrorString) getErrorString(r, &text);
  std::string s = name ? name : "CUDA error " + std::to_string(static_cast<int>(r));
  return text ? s + " (" + text + ")" : s;
}

void Driver::check(CUresult r, const std::string& what) const {
  if (r != CUDA_SUCCESS) throw Error(ErrorCode::Internal, "cuda backend: " + what + " failed: " + describe(r));
}

const Driver* driver() { return loaded().ok ? &loaded().api : nullptr; }

std::string cudaUnavailableReason() { return loaded().reason; }

}  // namespace kiln::cuda
