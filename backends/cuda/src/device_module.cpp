#include "device_module.h"

#include <algorithm>

#include "kiln/support/error.h"

namespace kiln::cuda {

DeviceBuffer::DeviceBuffer(const Driver& d, size_t bytes, const std::string& what) : d_(&d) {
  d.check(d.memAlloc(&ptr_, std::max<size_t>(bytes, 16)), "cuMemAlloc of " + std::to_string(bytes) + " bytes for " + what);
}

DeviceBuffer::~DeviceBuffer() {
  if (ptr_) d_->memFree(ptr_);
}

DeviceModule::DeviceModule(const Driver& d, const CompiledModel& m) : d_(d) {
  d.check(d.deviceGet(&dev_, 0), "cuDeviceGet");
  d.check(d.primaryCtxRetain(&ctx_, dev_), "cuDevicePrimaryCtxRetain");
  try {
    ContextScope scope(d, ctx_);
    load(m);
  } catch (...) {
    {
      ContextScope scope(d, ctx_);
      constants_.clear();
      if (module_) d.moduleUnload(module_);
    }
    d.primaryCtxRelease(dev_);
    throw;
  }
}

DeviceModule::~DeviceModule() {
  if (d_.ctxPushCurrent(ctx_) == CUDA_SUCCESS) {
    constants_.clear();
    if (module_) d_.moduleUnload(module_);
    CUcontext popped;
    d_.ctxPopCurrent(&popped);
  }
  d_.primaryCtxRelease(dev_);
}

void DeviceModule::load(const CompiledModel& m) {
  const std::string& name = m.program.name;
  int major = 0, minor = 0;
  d_.check(d_.deviceGetAttribute(&major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev_), "cuDeviceGetAttribute");
  d_.check(d_.deviceGetAttribute(&minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev_), "cuDeviceGetAttribute");
  // A cubin for exactly this device, when NVRTC can build one; else the PTX, which the driver
  // compiles for the device (it needs a driver that knows the PTX version).
  const std::string arch = "sm_" + std::to_string(major) + std::to_string(minor);
  std::string why;
  try {
    const std::string cubin = nvrtcCompile(m.module.source, name, arch);
    if (CUresult r = d_.moduleLoadData(&module_, cubin.data()); r == CUDA_SUCCESS) image_ = arch + " cubin";
    else why = arch + " cubin: " + d_.describe(r), module_ = nullptr;
  } catch (const Error& e) {
    why = arch + " cubin: " + e.what();
  }
  if (!module_) {
    if (CUresult r = d_.moduleLoadData(&module_, m.ptx.c_str()); r != CUDA_SUCCESS) {
      module_ = nullptr;
      throw Error(r == CUDA_ERROR_UNSUPPORTED_PTX_VERSION ? ErrorCode::Unsupported : ErrorCode::Internal,
                  "cuda backend: cannot load model '" + name + "' on the device (" + why + "; " +
                      std::string(kPtxArch) + " PTX: " + d_.describe(r) + ")");
    }
    image_ = std::string(kPtxArch) + " PTX (JIT by the driver)";
  }
  for (const Launch& l : m.module.plan.launches) {
    CUfunction f = nullptr;
    d_.check(d_.moduleGetFunction(&f, module_, l.function.c_str()), "cuModuleGetFunction(" + l.function + ")");
    functions_.push_back(f);
  }
  for (int b : m.module.plan.roots) {
    const Buffer& buf = m.program.buffers[static_cast<size_t>(b)];
    if (buf.kind != BufferKind::Constant) continue;
    const Tensor& t = *buf.data;
    DeviceBuffer mem(d_, t.bytes.size(), "constant '" + buf.name + "'");
    if (!t.bytes.empty())
      d_.check(d_.memcpyHtoD(mem.get(), t.bytes.data(), t.bytes.size()), "uploading constant '" + buf.name + "'");
    constants_.emplace_back(b, std::move(mem));
  }
}

CUdeviceptr DeviceModule::constant(int b) const {
  for (const auto& [id, mem] : constants_)
    if (id == b) return mem.get();
  throw Error(ErrorCode::Internal, "cuda backend: constant buffer " + std::to_string(b) + " was not uploaded");
}

}  // namespace kiln::cuda
