#include "kiln/backends/cpu/cpu_backend.h"

#include <llvm/IR/DiagnosticInfo.h>
#include <llvm/MC/MCSubtargetInfo.h>
#include <llvm/Support/raw_ostream.h>

#include "codegen/compile.h"
#include "codegen/module_builder.h"
#include "codegen/target.h"
#include <cstdlib>
#include <iostream>

#include "kiln/kiln_artifact.h"
#include "kiln/plan/plan.h"
#include "kiln/plan/print.h"
#include "kiln/support/file_io.h"

namespace kiln::cpu {

namespace {

// LLVM's warnings and remarks ("loop not vectorized: ..." where a vectorisation hint could
// not be honoured) say nothing a kiln user can act on: they are dropped unless
// KILN_LLVM_DIAGNOSTICS=1. Errors go to LLVM's own handling (printed, then fatal) as before.
struct QuietDiagnostics : llvm::DiagnosticHandler {
  bool show = false;
  bool handleDiagnostics(const llvm::DiagnosticInfo& d) override {
    return d.getSeverity() != llvm::DS_Error && !show;
  }
};

}  // namespace

bool cpuSupports(OpKind k) {
  // Every op in ops.def has a lowering (lower.h declares them from the table and the
  // dispatch table in lower.cpp takes each one's address, so a missing one fails to link).
  return static_cast<int>(k) < kNumOps;
}

CompiledModule compileModule(const Graph& g, const CpuOptions& options) {
  // The CPU's choices for the shared plan: B of a micro-kernel GEMM is packed at compile time,
  // so it must be constant; 64 statistics partials split a pass over 2-64 threads evenly.
  plan::TargetParams params;
  params.maxPartials = 64;
  params.gemmNeedsConstantB = true;
  params.fuse = options.fuse;
  Program prog = plan::buildProgram(g, params);
  if (!options.microKernels)
    for (Kernel& k : prog.kernels) k.kind = KernelKind::Generic;
  if (const char* dump = std::getenv("KILN_CPU_DUMP_PLAN"); dump && *dump == '1') std::cerr << describeProgram(prog);
  CompiledModule cm;
  cm.target = makeTargetMachine(options);
  cm.context = std::make_unique<llvm::LLVMContext>();
  auto quiet = std::make_unique<QuietDiagnostics>();
  if (const char* v = std::getenv("KILN_LLVM_DIAGNOSTICS")) quiet->show = *v == '1';
  cm.context->setDiagnosticHandler(std::move(quiet));
  const std::string producer = "kiln 0.1.0 cpu-llvm " + cm.target->getTargetCPU().str();
  CodegenTuning tuning;
  tuning.vectorLanes = cm.target->getMCSubtargetInfo()->checkFeatures("+avx512f") ? 16 : 8;
  // What the generated code may use, for the loader to check (an AVX-512 artifact on an AVX2
  // machine is refused with a message instead of dying of SIGILL).
  if (cm.target->getTargetTriple().getArch() == llvm::Triple::x86_64) {
#define KILN_TARGET_FEATURE(n)                                                         \
  if (cm.target->getMCSubtargetInfo()->checkFeatures(std::string("+") + n))            \
    tuning.cpuFeatures += (tuning.cpuFeatures.empty() ? "" : ",") + std::string(n);
    KILN_ARTIFACT_X86_FEATURES(KILN_TARGET_FEATURE)
#undef KILN_TARGET_FEATURE
  }
  if (options.parallelGrainWork > 0) tuning.grainWork = tuning.gemmGrainWork = options.parallelGrainWork;
  cm.module = buildModule(prog, *cm.context, cm.target->createDataLayout(),
                          cm.target->getTargetTriple().str(), producer, tuning);
  optimizeModule(*cm.module, *cm.target, options.optLevel);
  return cm;
}

std::unique_ptr<CompiledModel> compileCpuJit(const Graph& g, const CpuOptions& options) {
  return makeJitModel(compileModule(g, options), options);
}

void compileCpuToFile(const Graph& g, const CpuOptions& options, EmitKind kind,
                      const std::string& path) {
  CompiledModule cm = compileModule(g, options);
  switch (kind) {
    case EmitKind::LLVMIR: {
      std::string text;
      llvm::raw_string_ostream os(text);
      cm.module->print(os, nullptr);
      return writeFileAtomic(path, os.str());
    }
    case EmitKind::Asm: return writeFileAtomic(path, emitMachineCode(*cm.module, *cm.target, true));
    case EmitKind::Object: return writeFileAtomic(path, emitMachineCode(*cm.module, *cm.target, false));
    case EmitKind::SharedLibrary:
      return linkSharedLibrary(emitMachineCode(*cm.module, *cm.target, false), path);
  }
}

}  // namespace kiln::cpu
