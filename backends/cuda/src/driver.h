#pragma once
/// The CUDA driver API, loaded at run time with dlopen("libcuda.so.1", or the library that
/// $KILN_CUDA_DRIVER names) through a small symbol table: the backend links no libcuda, so it
/// builds, compiles and reports what is missing on machines without one.
#include <cuda.h>

#include <string>

namespace kiln::cuda {

struct Driver {
  CUresult (*init)(unsigned flags);
  CUresult (*deviceGetCount)(int* count);
  CUresult (*deviceGet)(CUdevice* dev, int ordinal);
  CUresult (*deviceGetAttribute)(int* value, CUdevice_attribute attr, CUdevice dev);
  CUresult (*deviceGetName)(char* name, int len, CUdevice dev);
  CUresult (*primaryCtxRetain)(CUcontext* ctx, CUdevice dev);
  CUresult (*primaryCtxRelease)(CUdevice dev);
  CUresult (*ctxPushCurrent)(CUcontext ctx);
  CUresult (*ctxPopCurrent)(CUcontext* ctx);
  CUresult (*ctxSynchronize)();
  CUresult (*moduleLoadData)(CUmodule* module, const void* image);
  CUresult (*moduleUnload)(CUmodule module);
  CUresult (*moduleGetFunction)(CUfunction* fn, CUmodule module, const char* name);
  CUresult (*memAlloc)(CUdeviceptr* ptr, size_t bytes);
  CUresult (*memFree)(CUdeviceptr ptr);
  CUresult (*memcpyHtoD)(CUdeviceptr dst, const void* src, size_t bytes);
  CUresult (*memcpyDtoH)(void* dst, CUdeviceptr src, size_t bytes);
  CUresult (*memsetD32)(CUdeviceptr dst, unsigned value, size_t count);
  CUresult (*launchKernel)(CUfunction f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
                           unsigned bz, unsigned sharedBytes, CUstream stream, void** params, void** extra);
  CUresult (*getErrorName)(CUresult r, const char** s);
  CUresult (*getErrorString)(CUresult r, const char** s);

  /// "CUDA_ERROR_X (text)".
  std::string describe(CUresult r) const;
  /// Throws Error(Internal) "cuda backend: <what> failed: <describe(r)>" unless r is success.
  void check(CUresult r, const std::string& what) const;
};

/// The driver after cuInit(0) with device 0 of compute capability >= 8.0, loaded once per
/// process; nullptr when unavailable, with cudaUnavailableReason() saying why.
const Driver* driver();

}  // namespace kiln::cuda
