#pragma once
/// The CPU backend: a graph (after runPipeline) becomes one LLVM module implementing the
/// artifact ABI of runtime/include/kiln/kiln_artifact.h. The same module is either compiled in
/// memory with ORC (compileCpuJit) or written out as a shared library / object / IR / asm
/// (compileCpuToFile).
#include <cstdint>
#include <memory>
#include <string>

#include "kiln/backends/backend.h"
#include "kiln/eval/evaluator.h"
#include "kiln/ir/graph.h"

namespace kiln::cpu {

/// Code generation options.
struct CpuOptions {
  int optLevel = 3;             ///< 0..3: LLVM's O0..O3 pipeline and codegen level
  std::string mcpu = "native";  ///< LLVM CPU name ("native" = the host, e.g. "haswell")
  std::string mattr;            ///< extra target features ("+avx2,+fma"); with native: host's
  bool fuse = true;             ///< fuse elementwise chains and epilogues into kernels
  bool microKernels = true;     ///< register-blocked GEMM micro-kernel for Gemm/MatMul/Conv
  /// Work (element operations / multiply-adds) below which a kernel runs on one thread; 0 =
  /// the backend's defaults (tens of microseconds of work). Tests set 1 to split everything.
  int64_t parallelGrainWork = 0;
  /// JIT only: keep the optimised module's text for CompiledModel::llvmIR(). Off by default:
  /// printing a module prints its weights too (hundreds of MB for a real network).
  bool keepIR = false;
};

/// What compileCpuToFile writes.
enum class EmitKind { SharedLibrary, Object, LLVMIR, Asm };

/// True when the CPU backend can compile op `k` (generated from ops.def: every op with a
/// lowering).
bool cpuSupports(OpKind k);

/// A model compiled in memory (Executable: run on named inputs from any number of threads).
class CompiledModel : public backend::Executable {
 public:
  /// The optimised LLVM IR of the module (for inspection and tests) when compiled with
  /// CpuOptions::keepIR; Error(Internal) otherwise.
  virtual const std::string& llvmIR() const = 0;
};

/// Lowers, optimises and JIT-compiles `g` for the host. Throws Error(Unsupported) naming the
/// node for ops or attributes the backend does not handle (e.g. symbolic spatial dims).
std::unique_ptr<CompiledModel> compileCpuJit(const Graph& g, const CpuOptions& options = {});

/// Compiles `g` and writes `path` atomically (temp file + rename). SharedLibrary links the
/// object with the system C compiler (`$CC`, else cc/gcc/clang on PATH); Error(Io) when none
/// is found or linking fails.
void compileCpuToFile(const Graph& g, const CpuOptions& options, EmitKind kind,
                      const std::string& path);

}  // namespace kiln::cpu

namespace kiln::backend {
/// The CPU backend behind the backend interface (listed in backends/registry.cpp):
/// compile = compileCpuJit, emit = compileCpuToFile with the formats so, obj, llvm, asm.
std::unique_ptr<Backend> make_cpu_backend();
}  // namespace kiln::backend
