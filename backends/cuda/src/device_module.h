#pragma once
/// A generated module loaded on device 0: the primary context, the module image (a cubin
/// compiled for the device's architecture when NVRTC knows it, else the PTX for the driver to
/// JIT), the kernel functions and the uploaded constants. Plus small RAII helpers.
#include <string>
#include <vector>

#include "compiled_model.h"
#include "driver.h"

namespace kiln::cuda {

/// Makes `ctx` current on this thread for its lifetime.
class ContextScope {
 public:
  ContextScope(const Driver& d, CUcontext ctx) : d_(d) { d.check(d.ctxPushCurrent(ctx), "cuCtxPushCurrent"); }
  ~ContextScope() {
    CUcontext popped;
    d_.ctxPopCurrent(&popped);
  }
  ContextScope(const ContextScope&) = delete;
  ContextScope& operator=(const ContextScope&) = delete;

 private:
  const Driver& d_;
};

/// Device memory freed on destruction (at least 16 bytes, so empty tensors have an address).
class DeviceBuffer {
 public:
  DeviceBuffer(const Driver& d, size_t bytes, const std::string& what);
  DeviceBuffer(DeviceBuffer&& o) noexcept : d_(o.d_), ptr_(o.ptr_) { o.ptr_ = 0; }
  DeviceBuffer& operator=(DeviceBuffer&&) = delete;
  DeviceBuffer(const DeviceBuffer&) = delete;
  ~DeviceBuffer();
  CUdeviceptr get() const { return ptr_; }

 private:
  const Driver* d_;
  CUdeviceptr ptr_ = 0;
};

class DeviceModule {
 public:
  /// Loads `m` (call with no context current; it retains and pushes the primary context).
  DeviceModule(const Driver& d, const CompiledModel& m);
  ~DeviceModule();
  DeviceModule(const DeviceModule&) = delete;
  DeviceModule& operator=(const DeviceModule&) = delete;

  CUcontext context() const { return ctx_; }
  /// The function of launch i of the plan.
  CUfunction function(size_t launch) const { return functions_.at(launch); }
  /// Device address of constant root buffer `b`.
  CUdeviceptr constant(int b) const;
  /// "sm_90 cubin" or "compute_80 PTX (JIT by the driver)".
  const std::string& image() const { return image_; }

 private:
  const Driver& d_;
  CUdevice dev_ = 0;
  CUcontext ctx_ = nullptr;
  CUmodule module_ = nullptr;
  std::vector<CUfunction> functions_;
  std::vector<std::pair<int, DeviceBuffer>> constants_;
  std::string image_;

  void load(const CompiledModel& m);
};

}  // namespace kiln::cuda
