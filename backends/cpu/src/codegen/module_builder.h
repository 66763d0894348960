#pragma once
/// Program (kernel plan) -> LLVM module implementing the artifact ABI (kiln_artifact.h):
/// weights as private constants, one function per kernel (a parallel_for body), `plan`, `run`
/// and the exported `kiln_artifact_get` descriptor.
#include <llvm/IR/Module.h>

#include <memory>

#include "codegen/plan_types.h"

namespace kiln::cpu {

/// Builds the module; `layout`/`triple` must be the target's so the descriptor structs match
/// Target- and option-dependent code generation choices.
struct CodegenTuning {
  int vectorLanes = 8;            ///< floats per widest vector register (8: AVX2, 16: AVX-512)
  int64_t grainWork = 1 << 16;    ///< element operations per parallel task (generic kernels)
  int64_t gemmGrainWork = 1 << 19;  ///< multiply-adds per parallel task (micro-kernels)
  /// The CPU features the target enables, exported for the loader's check
  /// (KILN_ARTIFACT_CPU_FEATURES_SYMBOL); empty: not recorded.
  std::string cpuFeatures;
};

/// the C layout. `producer` is the descriptor's producer text.
std::unique_ptr<llvm::Module> buildModule(const Program& prog, llvm::LLVMContext& ctx,
                                          const llvm::DataLayout& layout,
                                          const std::string& triple, const std::string& producer,
                                          const CodegenTuning& tuning = {});

/// Emits the parallel_for body of kernel `k` (`void (ptr frame, i64 begin, i64 end)`, frame =
/// {ptr symbols, ptr buffer pointers}) and returns it with its iteration count and grain.
struct KernelFunction {
  llvm::Function* body;
  Expr iterations;  ///< over symbols
  int64_t grain;
  std::vector<bool> reads;  ///< by root buffer: whether the kernel's code reads or writes it
};
KernelFunction emitKernel(llvm::Module& m, const Program& prog, const Kernel& k, int index,
                          const CodegenTuning& tuning);

}  // namespace kiln::cpu
