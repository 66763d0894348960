// A fake CUDA driver (libcuda) for testing the CUDA backend's host side without a GPU: the
// functions the backend loads, over host memory. It reports one device of compute capability
// 8.0, refuses cubins (so the backend falls back to PTX), reads the .entry parameter lists of
// the PTX it is given, and for every launch checks the function, that each of its parameters is
// a device address or a small integer, and that a context is current; kernels do not run. With FAKE_CUDA_FAIL_CHECKS=1 a range-check launch
// ("..._checkN") writes its failure code into the error word (its last parameter), as a
// failing check on a device would. kiln_fake_cuda_log() returns what happened.
#include <cuda.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace {

struct Entry {
  std::string name;
  size_t params = 0;
};

struct State {
  std::mutex m;
  std::map<uintptr_t, size_t> allocations;  // address -> bytes
  std::vector<std::unique_ptr<Entry>> entries;  // of every module loaded; kept (handles stay valid)
  int contextDepth = 0;
  std::string log;
};

State& state() {
  static State s;
  return s;
}

int dummyContext, dummyModule;

bool inAllocation(uintptr_t p, size_t bytes) {
  for (const auto& [at, size] : state().allocations)
    if (p >= at && p + bytes <= at + size) return true;
  return false;
}

// ".entry NAME(" followed by ".param ..." lines up to ")".
std::vector<std::unique_ptr<Entry>> parsePtx(const char* ptx) {
  std::vector<std::unique_ptr<Entry>> out;
  const std::string text(ptx);
  for (size_t at = text.find(".entry "); at != std::string::npos; at = text.find(".entry ", at + 1)) {
    const size_t open = text.find('(', at);
    const size_t close = text.find(')', open);
    auto e = std::make_unique<Entry>(Entry{text.substr(at + 7, open - at - 7), 0});
    for (size_t p = text.find(".param", open); p != std::string::npos && p < close; p = text.find(".param", p + 1))
      ++e->params;
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

extern "C" {

const char* kiln_fake_cuda_log() { return state().log.c_str(); }
size_t kiln_fake_cuda_live_allocations() { return state().allocations.size(); }
int kiln_fake_cuda_context_depth() { return state().contextDepth; }

CUresult cuInit(unsigned) { return CUDA_SUCCESS; }
CUresult cuDeviceGetCount(int* n) { *n = 1; return CUDA_SUCCESS; }
CUresult cuDeviceGet(CUdevice* d, int ordinal) { *d = 0; return ordinal == 0 ? CUDA_SUCCESS : CUDA_ERROR_INVALID_DEVICE; }
CUresult cuDeviceGetAttribute(int* v, CUdevice_attribute a, CUdevice) {
  *v = a == CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR ? 8 : 0;
  return CUDA_SUCCESS;
}
CUresult cuDeviceGetName(char* name, int len, CUdevice) {
  std::strncpy(name, "kiln fake device", static_cast<size_t>(len));
  return CUDA_SUCCESS;
}
CUresult cuDevicePrimaryCtxRetain(CUcontext* c, CUdevice) {
  *c = reinterpret_cast<CUcontext>(&dummyContext);
  return CUDA_SUCCESS;
}
CUresult cuDevicePrimaryCtxRelease_v2(CUdevice) { return CUDA_SUCCESS; }
CUresult cuCtxPushCurrent_v2(CUcontext) { ++state().contextDepth; return CUDA_SUCCESS; }
CUresult cuCtxPopCurrent_v2(CUcontext* c) {
  if (state().contextDepth == 0) return CUDA_ERROR_INVALID_CONTEXT;
  --state().contextDepth;
  if (c) *c = reinterpret_cast<CUcontext>(&dummyContext);
  return CUDA_SUCCESS;
}
CUresult cuCtxSynchronize() { return state().contextDepth > 0 ? CUDA_SUCCESS : CUDA_ERROR_INVALID_CONTEXT; }

CUresult cuModuleLoadData(CUmodule* m, const void* image) {
  std::lock_guard<std::mutex> lock(state().m);
  if (std::memcmp(image, "\x7f" "ELF", 4) == 0) {
    state().log += "refused cubin\n";
    return CUDA_ERROR_INVALID_IMAGE;
  }
  std::vector<std::unique_ptr<Entry>> entries = parsePtx(static_cast<const char*>(image));
  state().log += "loaded PTX with " + std::to_string(entries.size()) + " entries\n";
  for (auto& e : entries) state().entries.push_back(std::move(e));
  *m = reinterpret_cast<CUmodule>(&dummyModule);
  return CUDA_SUCCESS;
}
CUresult cuModuleUnload(CUmodule) { return CUDA_SUCCESS; }
CUresult cuModuleGetFunction(CUfunction* f, CUmodule, const char* name) {
  for (auto it = state().entries.rbegin(); it != state().entries.rend(); ++it)  // the latest module's
    if ((*it)->name == name) {
      *f = reinterpret_cast<CUfunction>(it->get());
      return CUDA_SUCCESS;
    }
  return CUDA_ERROR_NOT_FOUND;
}

CUresult cuMemAlloc_v2(CUdeviceptr* p, size_t bytes) {
  if (state().contextDepth == 0 || bytes == 0) return CUDA_ERROR_INVALID_VALUE;
  void* mem = std::malloc(bytes);
  std::memset(mem, 0x7f, bytes);
  *p = reinterpret_cast<uintptr_t>(mem);
  state().allocations[*p] = bytes;
  return CUDA_SUCCESS;
}
CUresult cuMemFree_v2(CUdeviceptr p) {
  auto it = state().allocations.find(p);
  if (it == state().allocations.end()) return CUDA_ERROR_INVALID_VALUE;
  std::free(reinterpret_cast<void*>(p));
  state().allocations.erase(it);
  return CUDA_SUCCESS;
}
CUresult cuMemcpyHtoD_v2(CUdeviceptr dst, const void* src, size_t bytes) {
  if (!inAllocation(dst, bytes)) return CUDA_ERROR_INVALID_VALUE;
  std::memcpy(reinterpret_cast<void*>(dst), src, bytes);
  return CUDA_SUCCESS;
}
CUresult cuMemcpyDtoH_v2(void* dst, CUdeviceptr src, size_t bytes) {
  if (!inAllocation(src, bytes)) return CUDA_ERROR_INVALID_VALUE;
  std::memcpy(dst, reinterpret_cast<const void*>(src), bytes);
  return CUDA_SUCCESS;
}
CUresult cuMemsetD32_v2(CUdeviceptr dst, unsigned v, size_t n) {
  if (!inAllocation(dst, n * 4)) return CUDA_ERROR_INVALID_VALUE;
  for (size_t i = 0; i < n; ++i) std::memcpy(reinterpret_cast<char*>(dst) + 4 * i, &v, 4);
  return CUDA_SUCCESS;
}

CUresult cuLaunchKernel(CUfunction f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                        unsigned shared, CUstream stream, void** params, void** extra) {
  const Entry* e = reinterpret_cast<const Entry*>(f);
  bool known = false;
  for (const auto& x : state().entries) known = known || x.get() == e;
  if (!known || state().contextDepth == 0 || !params || extra || stream || shared) return CUDA_ERROR_INVALID_VALUE;
  if (gx == 0 || gy != 1 || gz != 1 || bx == 0 || bx > 1024 || by != 1 || bz != 1) return CUDA_ERROR_INVALID_VALUE;
  // Every parameter of the generated kernels is 8 bytes: a device address (inside an
  // allocation) or an int64 symbol value (small).
  for (size_t i = 0; i < e->params; ++i) {
    uint64_t v;
    std::memcpy(&v, params[i], sizeof v);
    if (v >= (uint64_t{1} << 32) && !inAllocation(v, 1)) {
      state().log += "bad parameter " + std::to_string(i) + " of " + e->name + "\n";
      return CUDA_ERROR_INVALID_VALUE;
    }
  }
  state().log += "launch " + e->name + " grid " + std::to_string(gx) + " block " + std::to_string(bx) + " params " +
                 std::to_string(e->params) + "\n";
  const char* fail = std::getenv("FAKE_CUDA_FAIL_CHECKS");
  if (fail && *fail == '1' && e->name.find("_check") != std::string::npos) {
    uint64_t word;  // every parameter is 8 bytes: a device pointer or an int64
    std::memcpy(&word, params[e->params - 1], sizeof word);
    if (!inAllocation(word, 4)) return CUDA_ERROR_ILLEGAL_ADDRESS;
    const unsigned code = 1;  // the plan's first check
    std::memcpy(reinterpret_cast<void*>(word), &code, 4);
  }
  return CUDA_SUCCESS;
}

CUresult cuGetErrorName(CUresult r, const char** s) {
  *s = r == CUDA_SUCCESS ? "CUDA_SUCCESS" : "CUDA_ERROR_FAKE";
  return CUDA_SUCCESS;
}
CUresult cuGetErrorString(CUresult, const char** s) {
  *s = "fake driver";
  return CUDA_SUCCESS;
}

}  // extern "C"
