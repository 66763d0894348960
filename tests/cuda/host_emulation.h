#pragma once
/// Runs the CUDA backend's generated kernels on the host, for testing their numbers without a
/// GPU: the translation unit is compiled by the host C++ compiler behind a small prelude that
/// maps the CUDA built-ins it uses (thread and block indices, __shared__, __syncthreads,
/// atomicCAS, __int_as_float, __dmul_rn, ...) onto host code; each block's threads run as real
/// threads with a barrier, blocks one after the other (at most two: the kernels grid-stride). The launch plan runs through the
/// backend's own runPlan (run_plan.h), as on a device. Device memory starts as 0xff bytes
/// (NaN), so a read of anything never written shows.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <barrier>
#include <thread>
#include <vector>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <unistd.h>

#include "compiled_model.h"
#include "run_plan.h"

namespace kiln::test {

// C headers only and no threads in the compiled module (it compiles in a quarter of a second):
// the test binary runs the threads and passes the barrier in.
inline const char* kEmulationPrelude = R"(#include <math.h>
#include <string.h>
#define __global__
#define __device__
#define __forceinline__ inline
#define __launch_bounds__(n)
#define __shared__ static
struct kiln_dim3 { unsigned x, y, z; };
static thread_local kiln_dim3 threadIdx;
static kiln_dim3 blockIdx, blockDim, gridDim;
static void (*kiln_emu_sync)();
static void __syncthreads() { kiln_emu_sync(); }
static unsigned atomicCAS(unsigned* a, unsigned expected, unsigned v) {
  __atomic_compare_exchange_n(a, &expected, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
  return expected;
}
static float __int_as_float(unsigned v) { float f; memcpy(&f, &v, 4); return f; }
static double __dsub_rn(double a, double b) { return a - b; }
static double __dmul_rn(double a, double b) { return a * b; }
extern "C" void kiln_emu_block(unsigned grid, unsigned block, unsigned b, void (*sync)()) {
  gridDim.x = grid, gridDim.y = gridDim.z = 1;
  blockDim.x = block, blockDim.y = blockDim.z = 1;
  blockIdx.x = b, blockIdx.y = blockIdx.z = 0;
  kiln_emu_sync = sync;
}
extern "C" void kiln_emu_thread(unsigned t) { threadIdx.x = t, threadIdx.y = threadIdx.z = 0; }
)";

/// `extern "C" void kiln_emu_NAME(void** p)` calling each kernel with its parameters read from p.
inline std::string emulationTrampolines(const std::string& source) {
  std::string out;
  std::istringstream in(source);
  const std::string head = "extern \"C\" __global__ void __launch_bounds__(";
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(head, 0) != 0) continue;
    const size_t nameAt = line.find(") ", head.size()) + 2;
    const size_t open = line.find('(', nameAt), close = line.rfind(") {");
    const std::string name = line.substr(nameAt, open - nameAt);
    std::string args, params = line.substr(open + 1, close - open - 1) + ", ";
    int i = 0;
    for (size_t at = 0, next; (next = params.find(", ", at)) != std::string::npos; at = next + 2, ++i) {
      std::string p = params.substr(at, next - at);
      p = p.substr(0, p.rfind(' '));  // drop the parameter's name
      if (const size_t r = p.find(" __restrict__"); r != std::string::npos) p.erase(r);
      args += std::string(i ? ", " : "") + "*(" + p + "*)p[" + std::to_string(i) + "]";
    }
    out += "extern \"C\" void kiln_emu_" + name + "(void** p) { " + name + "(" + args + "); }\n";
  }
  return out;
}

class HostEmulation final : public cuda::RunDevice {
 public:
  /// Compiles `m`'s source for the host (a failure is a test failure, check ok()).
  explicit HostEmulation(const cuda::CompiledModel& m) : m_(m) {
    static int counter = 0;
    dir_ = std::filesystem::temp_directory_path() / ("kiln-cuda-emu-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::create_directories(dir_);
    const std::string src = (dir_ / "m.cpp").string(), lib = (dir_ / "m.so").string(), log = (dir_ / "log").string();
    std::ofstream(src) << kEmulationPrelude << m.module.source << "\n" << emulationTrampolines(m.module.source);
    const std::string cmd = std::string("'") + KILN_HOST_CXX + "' -std=c++20 -O1 -w -shared -fPIC -pthread -o '" + lib +
                            "' '" + src + "' > '" + log + "' 2>&1";
    if (std::system(cmd.c_str()) != 0) {
      std::ifstream l(log);
      error_ = "host compiler failed:\n" + std::string((std::istreambuf_iterator<char>(l)), std::istreambuf_iterator<char>());
      return;
    }
    lib_ = dlopen(lib.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!lib_) error_ = dlerror();
    block_ = lib_ ? reinterpret_cast<BlockFn>(dlsym(lib_, "kiln_emu_block")) : nullptr;
    thread_ = lib_ ? reinterpret_cast<ThreadFn>(dlsym(lib_, "kiln_emu_thread")) : nullptr;
  }
  ~HostEmulation() override {
    for (auto& [a, bytes] : live_) std::free(reinterpret_cast<void*>(a));
    if (lib_) dlclose(lib_);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  const std::string& error() const { return error_; }

  cuda::DeviceAddress allocate(size_t bytes, const std::string&) override {
    const size_t n = (std::max<size_t>(bytes, 16) + 63) / 64 * 64;
    void* p = std::aligned_alloc(64, n);
    std::memset(p, 0xff, n);
    live_[reinterpret_cast<cuda::DeviceAddress>(p)] = n;
    return reinterpret_cast<cuda::DeviceAddress>(p);
  }
  void release(cuda::DeviceAddress a) noexcept override {
    if (live_.erase(a)) std::free(reinterpret_cast<void*>(a));
  }
  void upload(cuda::DeviceAddress dst, const void* src, size_t bytes, const std::string&) override {
    std::memcpy(reinterpret_cast<void*>(dst), src, bytes);
  }
  void download(void* dst, cuda::DeviceAddress src, size_t bytes, const std::string&) override {
    std::memcpy(dst, reinterpret_cast<const void*>(src), bytes);
  }
  void clearWords(cuda::DeviceAddress dst, size_t words) override { std::memset(reinterpret_cast<void*>(dst), 0, 4 * words); }
  cuda::DeviceAddress constant(int b) override {
    auto it = constants_.find(b);
    if (it != constants_.end()) return it->second;
    const Tensor& t = *m_.program.buffers[static_cast<size_t>(b)].data;
    const cuda::DeviceAddress a = allocate(t.bytes.size(), "constant");
    std::memcpy(reinterpret_cast<void*>(a), t.bytes.data(), t.bytes.size());
    return constants_[b] = a;
  }
  /// Two blocks at most: the kernels grid-stride, so any grid covers the work. A tiled GEMM
  /// gets the block size it was written for; the other forms work with any, and get 32 threads
  /// (fewer threads to start per launch).
  void launch(size_t i, unsigned grid, void** params) override {
    const cuda::Launch& l = m_.module.plan.launches.at(i);
    auto kernel = reinterpret_cast<void (*)(void**)>(dlsym(lib_, ("kiln_emu_" + l.function).c_str()));
    ASSERT_NE(kernel, nullptr) << l.function;
    const bool tiled = l.kernel.find("(tiled GEMM") != std::string::npos;
    const unsigned blocks = std::min(grid, 2u), threads = tiled ? static_cast<unsigned>(l.block) : 32u;
    for (unsigned b = 0; b < blocks; ++b) {
      std::barrier<> bar(threads);
      barrier() = &bar;
      block_(blocks, threads, b, [] { barrier()->arrive_and_wait(); });
      std::vector<std::thread> pool;
      for (unsigned t = 0; t < threads; ++t)
        pool.emplace_back([=, this] {
          thread_(t);
          kernel(params);
        });
      for (std::thread& t : pool) t.join();
    }
  }
  void synchronize(const std::string&) override {}

 private:
  using BlockFn = void (*)(unsigned, unsigned, unsigned, void (*)());
  using ThreadFn = void (*)(unsigned);
  static std::barrier<>*& barrier() {
    static std::barrier<>* b = nullptr;  // one block runs at a time
    return b;
  }
  const cuda::CompiledModel& m_;
  std::filesystem::path dir_;
  std::string error_;
  void* lib_ = nullptr;
  BlockFn block_ = nullptr;
  ThreadFn thread_ = nullptr;
  std::map<cuda::DeviceAddress, size_t> live_;
  std::map<int, cuda::DeviceAddress> constants_;
};

/// `g` generated for CUDA and compiled for the host emulation, run as often as wanted.
class EmulatedModel {
 public:
  EmulatedModel(const Graph& g, const cuda::CudaOptions& o = {}) : m_(cuda::generateModel(g, o)), emu_(m_) {}
  /// The outputs; empty after a test failure when the module did not compile.
  TensorMap run(const TensorMap& inputs) {
    if (!emu_.error().empty()) {
      ADD_FAILURE() << emu_.error();
      return {};
    }
    return cuda::runPlan(m_, emu_, inputs, cuda::bindSymbols(m_.program, inputs));
  }

 private:
  cuda::CompiledModel m_;
  HostEmulation emu_;
};

}  // namespace kiln::test
