// The CUDA backend behind kiln/backends/backend.h.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "compiled_model.h"
#include "kiln/backends/cuda/cuda_backend.h"
#include "kiln/support/error.h"

namespace kiln::backend {

namespace {

cuda::CudaOptions cudaOptions(const CompileOptions& o) {
  cuda::CudaOptions c;
  c.fuse = o.fuse;
  c.tiledGemm = o.specialisedKernels;
  return c;
}

// Writes a temporary file next to `path`, then renames it over `path`.
void writeAtomically(const std::string& path, const std::string& bytes) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw Error(ErrorCode::Io, "cannot create '" + tmp + "': " + std::strerror(errno));
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) {
      std::remove(tmp.c_str());
      throw Error(ErrorCode::Io, "cannot write '" + tmp + "'");
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    std::remove(tmp.c_str());
    throw Error(ErrorCode::Io, "cannot rename '" + tmp + "' to '" + path + "': " + why);
  }
}

class CudaBackend final : public Backend {
 public:
  std::string_view name() const override { return "cuda"; }
  std::string_view description() const override {
    return "CUDA backend: CUDA C++ kernels compiled by NVRTC, run through the CUDA driver, float32 and float64 tensors each in their own precision";
  }
  bool supports(const Node& n, std::string* why) const override {
    // Every op in ops.def has a lowering onto the shared plan, and the emitter covers every plan
    // expression and kernel form; what a lowering refuses (attributes, symbolic spatial dims)
    // surfaces from compile() as Unsupported naming the node.
    if (static_cast<int>(n.kind) < kNumOps) return true;
    if (why) *why = "the CUDA backend has no lowering for this op";
    return false;
  }
  std::string unavailableReason() const override { return cuda::cudaUnavailableReason(); }
  std::unique_ptr<Executable> compile(const Graph& g, const CompileOptions& o) const override {
    return cuda::compileCuda(g, cudaOptions(o));
  }
  const std::vector<EmitFormat>& emitFormats() const override {
    static const std::vector<EmitFormat> formats = {
        {"cuda", ".cu", "CUDA C++ source of the kernels (checked by NVRTC)"},
        {"ptx", ".ptx", std::string("PTX for ") + cuda::kPtxArch + " (NVRTC)"},
    };
    return formats;
  }
  void emit(const Graph& g, const CompileOptions& o, std::string_view format, const std::string& path) const override {
    if (format != "cuda" && format != "ptx") return Backend::emit(g, o, format, path);
    const cuda::CudaSource src = cuda::generateSource(g, cudaOptions(o));
    const std::string ptx = cuda::nvrtcCompile(src.source, src.name, cuda::kPtxArch);  // errors surface either way
    writeAtomically(path, format == "ptx" ? ptx : src.source);
  }
};

}  // namespace

std::unique_ptr<Backend> make_cuda_backend() { return std::make_unique<CudaBackend>(); }

}  // namespace kiln::backend
