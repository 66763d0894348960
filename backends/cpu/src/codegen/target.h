#pragma once
/// Host target machine, the optimisation pipeline and file emission.
#include <llvm/IR/Module.h>
#include <llvm/Target/TargetMachine.h>

#include <memory>
#include <string>

#include "kiln/backends/cpu/cpu_backend.h"

namespace kiln::cpu {

/// Initialises LLVM's native target once (thread-safe).
void initializeLLVM();

/// CPU name and feature string for the options ("native" = the host's).
std::pair<std::string, std::string> cpuAndFeatures(const CpuOptions& o);

/// A TargetMachine for the host triple and the options' CPU (PIC, so objects link into
/// shared libraries). Throws Error(Unsupported) for an unknown target.
std::unique_ptr<llvm::TargetMachine> makeTargetMachine(const CpuOptions& o);

/// Runs the new pass manager's standard O0..O3 pipeline (loop and SLP vectorisers at O2+).
void optimizeModule(llvm::Module& m, llvm::TargetMachine& tm, int optLevel);

/// Object code or assembly for the module.
std::string emitMachineCode(llvm::Module& m, llvm::TargetMachine& tm, bool assembly);

}  // namespace kiln::cpu
