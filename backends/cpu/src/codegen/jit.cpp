// ORC LLJIT over the same module the AOT path writes out; the artifact it defines runs through
// the runtime library (kiln_model_from_artifact), as a loaded .so does.
#include <llvm/ExecutionEngine/Orc/ExecutionUtils.h>
#include <llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/Support/raw_ostream.h>

#include <algorithm>
#include <optional>

#include "codegen/compile.h"
#include "codegen/target.h"
#include "kiln/kiln.hpp"
#include "kiln/kiln_artifact.h"
#include "kiln/support/error.h"

namespace kiln::cpu {

namespace {

std::string errorText(llvm::Error e) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << e;
  return os.str();
}

ErrorCode errorCodeOf(kiln_status s) {
  switch (s) {
    case KILN_STATUS_INVALID_INPUT:
    case KILN_STATUS_INVALID_ARGUMENT: return ErrorCode::InvalidInput;
    case KILN_STATUS_IO_ERROR: return ErrorCode::Io;
    case KILN_STATUS_UNSUPPORTED: return ErrorCode::Unsupported;
    default: return ErrorCode::Internal;  // the JIT built the artifact: any other refusal is a kiln bug
  }
}

/// Runs `fn`, turning a runtime failure into kiln::Error with the runtime's message.
template <typename F> auto rethrowing(F&& fn) {
  try {
    return fn();
  } catch (const rt::Error& e) {
    throw Error(errorCodeOf(e.status()), e.what());
  }
}

struct DTypeCode {
  DType dtype;
  int32_t code;
};
constexpr DTypeCode kDTypeCodes[] = {
    {DType::F32, KILN_DTYPE_FLOAT32}, {DType::F64, KILN_DTYPE_FLOAT64}, {DType::I64, KILN_DTYPE_INT64},
    {DType::I32, KILN_DTYPE_INT32},   {DType::I8, KILN_DTYPE_INT8},     {DType::U8, KILN_DTYPE_UINT8},
    {DType::Bool, KILN_DTYPE_BOOL},
};

DType dtypeFromRuntime(int32_t code) {
  for (const DTypeCode& c : kDTypeCodes)
    if (c.code == code) return c.dtype;
  throw Error(ErrorCode::Internal, std::string("JIT artifact has element type ") + kiln_dtype_name(code));
}

int32_t dtypeToRuntime(DType t) {
  for (const DTypeCode& c : kDTypeCodes)
    if (c.dtype == t) return c.code;
  return 0;  // the runtime reports it as a dtype mismatch naming the input
}

/// A zero-copy view of `t` (Tensor storage is 64-byte aligned, so the runtime does not stage it).
kiln_tensor viewOf(const Tensor& t, const std::string& name) {
  if (t.dims.size() > KILN_MAX_RANK)
    throw Error(ErrorCode::InvalidInput, "input '" + name + "' has rank " + std::to_string(t.dims.size()) +
                                             ", more than the runtime's " + std::to_string(KILN_MAX_RANK));
  kiln_tensor k{};
  k.data = const_cast<uint8_t*>(t.bytes.data());
  k.bytes = t.bytes.size();
  k.dtype = dtypeToRuntime(t.dtype);
  k.rank = t.dims.size();
  for (size_t d = 0; d < k.rank; ++d) k.dims[d] = t.dims[d];
  k.name = name.c_str();
  return k;
}

class JitModel final : public CompiledModel {
 public:
  JitModel(std::unique_ptr<llvm::orc::LLJIT> jit, const kiln_artifact_header* header, std::optional<std::string> ir)
      : jit_(std::move(jit)),
        model_(rethrowing([&] { return rt::Model::fromArtifact(header, "JIT module"); })),
        ir_(std::move(ir)) {
    for (size_t i = 0; i < model_.numInputs(); ++i) inputNames_.push_back(model_.input(i).name);
    for (size_t i = 0; i < model_.numOutputs(); ++i) {
      rt::TensorInfo info = model_.output(i);
      outputNames_.push_back(info.name);
      outputTypes_.push_back(dtypeFromRuntime(info.dtype));
    }
  }

  TensorMap run(const TensorMap& inputs, int numThreads) const override {
    std::vector<kiln_tensor> in;
    in.reserve(inputNames_.size());
    for (const std::string& name : inputNames_) {
      auto it = inputs.find(name);
      if (it == inputs.end()) throw Error(ErrorCode::InvalidInput, "missing input '" + name + "'");
      in.push_back(viewOf(it->second, name));
    }
    if (in.size() != inputs.size())
      for (const auto& [name, t] : inputs)
        if (std::find(inputNames_.begin(), inputNames_.end(), name) == inputNames_.end())
          throw Error(ErrorCode::InvalidInput, "unknown input '" + name + "'");
    return rethrowing([&] {
      std::vector<kiln_tensor> out = model_.inferOutputs(in);
      std::vector<Tensor> storage;
      storage.reserve(out.size());
      for (size_t o = 0; o < out.size(); ++o) {
        storage.emplace_back(outputTypes_[o], std::vector<int64_t>(out[o].dims, out[o].dims + out[o].rank));
        out[o].data = storage.back().bytes.data();
        out[o].name = outputNames_[o].c_str();
      }
      model_.run(in, out, std::max(1, numThreads));
      TensorMap result;
      for (size_t o = 0; o < out.size(); ++o) {
        storage[o].dims.assign(out[o].dims, out[o].dims + out[o].rank);
        result[outputNames_[o]] = std::move(storage[o]);
      }
      return result;
    });
  }
  const std::string& llvmIR() const override {
    if (!ir_) throw Error(ErrorCode::Internal, "CPU backend: the module's IR was not kept (compile with CpuOptions::keepIR)");
    return *ir_;
  }

 private:
  std::unique_ptr<llvm::orc::LLJIT> jit_;  ///< declared first: outlives model_, which runs its code
  rt::Model model_;
  std::optional<std::string> ir_;
  std::vector<std::string> inputNames_, outputNames_;
  std::vector<DType> outputTypes_;
};

}  // namespace

std::unique_ptr<CompiledModel> makeJitModel(CompiledModule m, const CpuOptions& options) {
  std::optional<std::string> ir;
  if (options.keepIR) {
    llvm::raw_string_ostream os(ir.emplace());
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
  const kiln_artifact_header* header = sym->toPtr<kiln_artifact_get_fn>()();
  if (!header) throw Error(ErrorCode::Internal, "CPU backend: JIT " KILN_ARTIFACT_ENTRY_SYMBOL " returned NULL");
  return std::make_unique<JitModel>(std::move(*jit), header, std::move(ir));
}

}  // namespace kiln::cpu
