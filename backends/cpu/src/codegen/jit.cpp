// ORC LLJIT over the same module the AOT path writes out.
#include <llvm/ExecutionEngine/Orc/ExecutionUtils.h>
#include <llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/Support/raw_ostream.h>

#include "codegen/artifact_runner.h"
#include "codegen/compile.h"
#include "codegen/target.h"
#include "kiln/support/error.h"

namespace kiln::cpu {

namespace {

std::string errorText(llvm::Error e) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << e;
  return os.str();
}

class JitModel final : public CompiledModel {
 public:
  JitModel(std::unique_ptr<llvm::orc::LLJIT> jit, const kiln_artifact_v1* artifact, std::string ir)
      : jit_(std::move(jit)), artifact_(artifact), ir_(std::move(ir)) {}

  TensorMap run(const TensorMap& inputs, int numThreads) const override {
    return runArtifact(*artifact_, inputs, numThreads);
  }
  const std::string& llvmIR() const override { return ir_; }

 private:
  std::unique_ptr<llvm::orc::LLJIT> jit_;
  const kiln_artifact_v1* artifact_;
  std::string ir_;
};

}  // namespace

std::unique_ptr<CompiledModel> makeJitModel(CompiledModule m, const CpuOptions& options) {
  std::string ir;
  {
    llvm::raw_string_ostream os(ir);
    m.module->print(os, nullptr);
  }
  llvm::orc::JITTargetMachineBuilder jtmb(m.target->getTargetTriple());
  auto [cpu, features] = cpuAndFeatures(options);
  jtmb.setCPU(cpu);
  llvm::SubtargetFeatures f(features);
  jtmb.addFeatures(f.getFeatures());
  jtmb.setCodeGenOptLevel(m.target->getOptLevel());
  auto jit = llvm::orc::LLJITBuilder().setJITTargetMachineBuilder(std::move(jtmb)).create();
  if (!jit) throw Error(ErrorCode::Internal, "CPU backend: cannot create the JIT: " + errorText(jit.takeError()));
  auto gen = llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
      (*jit)->getDataLayout().getGlobalPrefix());
  if (!gen) throw Error(ErrorCode::Internal, "CPU backend: " + errorText(gen.takeError()));
  (*jit)->getMainJITDylib().addGenerator(std::move(*gen));
  m.module->setDataLayout((*jit)->getDataLayout());
  if (auto e = (*jit)->addIRModule(llvm::orc::ThreadSafeModule(std::move(m.module), std::move(m.context))))
    throw Error(ErrorCode::Internal, "CPU backend: JIT rejected the module: " + errorText(std::move(e)));
  auto sym = (*jit)->lookup(KILN_ARTIFACT_ENTRY_SYMBOL);
  if (!sym) throw Error(ErrorCode::Internal, "CPU backend: " + errorText(sym.takeError()));
  auto get = sym->toPtr<kiln_artifact_get_fn>();
  const auto* header = get();
  if (header->magic != KILN_ARTIFACT_MAGIC || header->abi_version != KILN_ARTIFACT_ABI_VERSION)
    throw Error(ErrorCode::Internal, "CPU backend: JIT artifact has a bad header");
  return std::make_unique<JitModel>(std::move(*jit), reinterpret_cast<const kiln_artifact_v1*>(header), std::move(ir));
}

}  // namespace kiln::cpu
