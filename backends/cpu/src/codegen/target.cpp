#include "codegen/target.h"

#include <llvm/TargetParser/Triple.h>

#include <llvm/Analysis/CGSCCPassManager.h>
#include <llvm/Analysis/LoopAnalysisManager.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/IR/PassManager.h>
#include <llvm/MC/MCSubtargetInfo.h>
#include <llvm/MC/TargetRegistry.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/TargetParser/Host.h>

#include <cstdio>
#include <fstream>
#include <mutex>
#include <set>
#include <unistd.h>

#include "kiln/support/error.h"

namespace kiln::cpu {

void initializeLLVM() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    llvm::InitializeNativeTargetAsmParser();
  });
}

std::pair<std::string, std::string> cpuAndFeatures(const CpuOptions& o) {
  std::string cpu = o.mcpu, features;
  if (cpu.empty() || cpu == "native") {
    cpu = llvm::sys::getHostCPUName().str();
    for (const auto& [name, on] : llvm::sys::getHostCPUFeatures())
      features += (features.empty() ? "" : ",") + std::string(on ? "+" : "-") + name.str();
  }
  // x86 gathers are slow on most cores (microcoded on AMD): vectorise strided loads (pools,
  // strided convs) with shuffles instead. Unknown to other targets' feature parsers, so x86 only.
  if (llvm::Triple(llvm::sys::getDefaultTargetTriple()).isX86())
    features += std::string(features.empty() ? "" : ",") + "+prefer-no-gather,+prefer-no-scatter";
  if (!o.mattr.empty()) features += (features.empty() ? "" : ",") + o.mattr;
  return {cpu, features};
}

namespace {
llvm::CodeGenOptLevel codegenLevel(int level) {
  switch (level) {
    case 0: return llvm::CodeGenOptLevel::None;
    case 1: return llvm::CodeGenOptLevel::Less;
    case 2: return llvm::CodeGenOptLevel::Default;
    default: return llvm::CodeGenOptLevel::Aggressive;
  }
}
}  // namespace

namespace {
// LLVM only warns about an unknown CPU or feature and then aborts later (an x86-64 triple with
// no 64-bit subtarget), so --mcpu and --mattr are checked against the target's tables first.
void checkCpuAndFeatures(const llvm::Target& target, const std::string& triple, const std::string& cpu,
                         const std::string& mattr) {
  std::unique_ptr<llvm::MCSubtargetInfo> sti(target.createMCSubtargetInfo(triple, "", ""));
  if (!sti) return;
  if (!sti->isCPUStringValid(cpu))
    throw Error(ErrorCode::Unsupported, "unknown --mcpu '" + cpu + "' for " + triple +
                                                " (examples: native, x86-64-v3, x86-64-v4, znver4, skylake-avx512)");
  std::unique_ptr<llvm::MCSubtargetInfo> chosen(target.createMCSubtargetInfo(triple, cpu, ""));
  if (llvm::Triple(triple).getArch() == llvm::Triple::x86_64 && chosen && !chosen->checkFeatures("+64bit"))
    throw Error(ErrorCode::Unsupported, "--mcpu '" + cpu + "' cannot run 64-bit code (" + triple + ")");
  std::set<std::string> known;
  for (const llvm::SubtargetFeatureKV& f : sti->getAllProcessorFeatures()) known.insert(f.Key);
  for (size_t at = 0; at < mattr.size();) {
    size_t end = mattr.find(',', at);
    if (end == std::string::npos) end = mattr.size();
    const std::string f = mattr.substr(at, end - at);
    if (f.size() < 2 || (f[0] != '+' && f[0] != '-') || !known.count(f.substr(1)))
      throw Error(ErrorCode::Unsupported, "unknown --mattr feature '" + f + "' for " + triple +
                                                  " (write +name or -name, e.g. +avx2,-avx512f)");
    at = end + 1;
  }
}
}  // namespace

std::unique_ptr<llvm::TargetMachine> makeTargetMachine(const CpuOptions& o) {
  initializeLLVM();
  const std::string triple = llvm::sys::getProcessTriple();
  std::string err;
  const llvm::Target* target = llvm::TargetRegistry::lookupTarget(triple, err);
  if (!target) throw Error(ErrorCode::Unsupported, "CPU backend: no LLVM target for " + triple + ": " + err);
  auto [cpu, features] = cpuAndFeatures(o);
  checkCpuAndFeatures(*target, triple, cpu, o.mattr);
  llvm::TargetOptions opts;
  std::unique_ptr<llvm::TargetMachine> tm(target->createTargetMachine(
      triple, cpu, features, opts, llvm::Reloc::PIC_, std::nullopt, codegenLevel(o.optLevel)));
  if (!tm) throw Error(ErrorCode::Unsupported, "CPU backend: cannot create a target machine for cpu '" + cpu + "'");
  return tm;
}

void optimizeModule(llvm::Module& m, llvm::TargetMachine& tm, int optLevel) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PipelineTuningOptions pto;
  pto.LoopVectorization = optLevel >= 2;
  pto.SLPVectorization = optLevel >= 2;
  pto.LoopUnrolling = optLevel >= 2;
  llvm::PassBuilder pb(&tm, pto);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  static const llvm::OptimizationLevel levels[] = {llvm::OptimizationLevel::O0, llvm::OptimizationLevel::O1,
                                                   llvm::OptimizationLevel::O2, llvm::OptimizationLevel::O3};
  const auto& level = levels[std::clamp(optLevel, 0, 3)];
  llvm::ModulePassManager mpm =
      optLevel == 0 ? pb.buildO0DefaultPipeline(level) : pb.buildPerModuleDefaultPipeline(level);
  mpm.run(m, mam);
}

std::string emitMachineCode(llvm::Module& m, llvm::TargetMachine& tm, bool assembly) {
  llvm::SmallVector<char, 0> buf;
  llvm::raw_svector_ostream os(buf);
  llvm::legacy::PassManager pm;
  if (tm.addPassesToEmitFile(pm, os, nullptr,
                             assembly ? llvm::CodeGenFileType::AssemblyFile : llvm::CodeGenFileType::ObjectFile))
    throw Error(ErrorCode::Internal, "CPU backend: the target cannot emit this file type");
  pm.run(m);
  return std::string(buf.begin(), buf.end());
}

}  // namespace kiln::cpu
