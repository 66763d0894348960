#pragma once
/// Program (kernel plan) -> LLVM module implementing the artifact ABI (kiln_artifact.h):
/// weights as private constants, one function per kernel (a parallel_for body), `plan`, `run`
/// and the exported `kiln_artifact_get` descriptor.
#include <llvm/IR/Module.h>

#include <memory>

#include "plan/kernel_plan.h"

namespace kiln::cpu {

/// Builds the module; `layout`/`triple` must be the target's so the descriptor structs match
/// the C layout. `producer` is the descriptor's producer text.
std::unique_ptr<llvm::Module> buildModule(const Program& prog, llvm::LLVMContext& ctx,
                                          const llvm::DataLayout& layout,
                                          const std::string& triple, const std::string& producer);

/// Emits the parallel_for body of kernel `k` (`void (ptr frame, i64 begin, i64 end)`, frame =
/// {ptr symbols, ptr buffer pointers}) and returns it with its iteration count and grain.
struct KernelFunction {
  llvm::Function* body;
  Expr iterations;  ///< over symbols
  int64_t grain;
};
KernelFunction emitKernel(llvm::Module& m, const Program& prog, const Kernel& k, int index);

}  // namespace kiln::cpu
