#pragma once
/// The backend's compile pipeline and its two ends (in-memory JIT, shared library).
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/Target/TargetMachine.h>

#include <memory>

#include "kiln/backends/cpu/cpu_backend.h"

namespace kiln::cpu {

/// An optimised module with the context and target machine it was built for.
struct CompiledModule {
  std::unique_ptr<llvm::LLVMContext> context;
  std::unique_ptr<llvm::Module> module;
  std::unique_ptr<llvm::TargetMachine> target;
};

/// Graph -> kernel plan (lower, fuse, memory plan) -> LLVM module -> optimised.
CompiledModule compileModule(const Graph& g, const CpuOptions& options);

/// Hands the module to ORC LLJIT and wraps the artifact it defines.
std::unique_ptr<CompiledModel> makeJitModel(CompiledModule m, const CpuOptions& options);

/// Links an object file into a shared library at `path` with the system C compiler.
void linkSharedLibrary(const std::string& object, const std::string& path);

}  // namespace kiln::cpu
