#pragma once
/// The CUDA backend: kernel plan (kiln_plan) -> one CUDA C++ translation unit (one extern "C"
/// __global__ function per plan kernel, plus range-check kernels) -> PTX and cubin through
/// NVRTC, and a host launch plan that the CUDA driver runs. The driver is loaded at run time
/// (dlopen libcuda.so.1): building and compiling need the CUDA toolkit's NVRTC only, running
/// needs a driver and a device of compute capability 8.0 or newer ($KILN_CUDA_DRIVER may name
/// the driver library to load instead of libcuda.so.1).
#include <memory>
#include <string>
#include <vector>

#include "kiln/backends/backend.h"
#include "kiln/ir/graph.h"

namespace kiln::cuda {

/// Code generation choices of the CUDA backend.
struct CudaOptions {
  bool fuse = true;       ///< fuse elementwise chains and epilogues (the shared plan's fusion)
  bool tiledGemm = true;  ///< Gemm-kind kernels as shared-memory tiles (fp32 FMA); else generic
  int blockSize = 256;    ///< threads per block of every launch
};

/// What the code generator made of a graph: the translation unit and its kernels.
struct CudaSource {
  std::string name;                  ///< the model's name (messages, NVRTC file name)
  std::string source;                ///< CUDA C++, compilable by NVRTC without headers
  std::vector<std::string> kernels;  ///< __global__ function names, in launch order
};

/// Builds the shared plan of `g` (after runPipeline, shapes inferred) with the CUDA target's
/// parameters and emits it. Throws Error(Unsupported) naming the node for what the plan
/// cannot express.
CudaSource generateSource(const Graph& g, const CudaOptions& options = {});

/// Compiles `source` with NVRTC for `arch`: "compute_XY" gives PTX text, "sm_XY" a cubin.
/// Options: -std=c++17, IEEE division and square root, no flush-to-zero, no fast math.
/// Throws Error(Internal) naming `name`, the architecture, the kernel at the first error line
/// and carrying the NVRTC log.
std::string nvrtcCompile(const std::string& source, const std::string& name, const std::string& arch);

/// The architecture of the PTX the backend writes and loads when no cubin fits the device.
inline constexpr const char* kPtxArch = "compute_80";

/// Generates, compiles to PTX (so compile errors surface here) and returns an executable that
/// runs on device 0. Its `run` throws Error(Unsupported) with cudaUnavailableReason() when no
/// driver or device is present.
std::unique_ptr<backend::Executable> compileCuda(const Graph& g, const CudaOptions& options = {});

/// Empty when this process can run CUDA kernels (libcuda.so.1 loads, cuInit succeeds, device 0
/// exists with compute capability >= 8.0); otherwise what is missing, e.g.
/// "cuda backend: no CUDA driver (dlopen libcuda.so.1: ...)". Computed once.
std::string cudaUnavailableReason();

}  // namespace kiln::cuda
