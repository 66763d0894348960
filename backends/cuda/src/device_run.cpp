// The CUDA executable: checks the inputs, then runs the launch plan (run_plan.h) on device 0
// through the driver, on the default stream. The module is loaded by the first run; runs of
// one executable are serialised (one module, one context); allocations are per run.
#include <algorithm>
#include <mutex>

#include "device_module.h"
#include "kiln/support/error.h"
#include "run_plan.h"

namespace kiln::cuda {

namespace {

class DriverDevice final : public RunDevice {
 public:
  DriverDevice(const Driver& d, const DeviceModule& m, const LaunchPlan& lp) : d_(d), m_(m), lp_(lp) {}

  DeviceAddress allocate(size_t bytes, const std::string& what) override {
    CUdeviceptr p = 0;
    d_.check(d_.memAlloc(&p, std::max<size_t>(bytes, 16)), "cuMemAlloc of " + std::to_string(bytes) + " bytes for " + what);
    return p;
  }
  void release(DeviceAddress a) noexcept override { d_.memFree(a); }
  void upload(DeviceAddress dst, const void* src, size_t bytes, const std::string& what) override {
    d_.check(d_.memcpyHtoD(dst, src, bytes), "uploading " + what);
  }
  void download(void* dst, DeviceAddress src, size_t bytes, const std::string& what) override {
    d_.check(d_.memcpyDtoH(dst, src, bytes), "copying " + what + " back");
  }
  void clearWords(DeviceAddress dst, size_t words) override { d_.check(d_.memsetD32(dst, 0, words), "cuMemsetD32"); }
  DeviceAddress constant(int b) override { return m_.constant(b); }
  void launch(size_t i, unsigned grid, void** params) override {
    const Launch& l = lp_.launches.at(i);
    d_.check(d_.launchKernel(m_.function(i), grid, 1, 1, static_cast<unsigned>(l.block), 1, 1, 0, nullptr, params,
                             nullptr),
             "cuLaunchKernel(" + l.function + ")");
  }
  void synchronize(const std::string& what) override {
    d_.check(d_.ctxSynchronize(), what + " (" + m_.image() + ")");
  }

 private:
  const Driver& d_;
  const DeviceModule& m_;
  const LaunchPlan& lp_;
};

class CudaExecutable final : public backend::Executable {
 public:
  explicit CudaExecutable(std::shared_ptr<const CompiledModel> m) : m_(std::move(m)) {}

  TensorMap run(const TensorMap& inputs, int) const override {
    checkInputs(*m_->graph, inputs);
    const std::vector<int64_t> symbols = bindSymbols(m_->program, inputs);
    const Driver* d = driver();
    if (!d) throw Error(ErrorCode::Unsupported, cudaUnavailableReason());
    std::lock_guard<std::mutex> lock(mutex_);
    if (!module_) module_ = std::make_unique<DeviceModule>(*d, *m_);
    ContextScope scope(*d, module_->context());
    DriverDevice dev(*d, *module_, m_->module.plan);
    return runPlan(*m_, dev, inputs, symbols);
  }

 private:
  std::shared_ptr<const CompiledModel> m_;
  mutable std::mutex mutex_;
  mutable std::unique_ptr<DeviceModule> module_;  ///< loaded by the first run
};

}  // namespace

std::unique_ptr<backend::Executable> makeExecutable(std::shared_ptr<const CompiledModel> m) {
  return std::make_unique<CudaExecutable>(std::move(m));
}

}  // namespace kiln::cuda
