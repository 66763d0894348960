// The CPU backend behind kiln/backends/backend.h.
#include "kiln/backends/cpu/cpu_backend.h"
#include "kiln/support/error.h"

namespace kiln::backend {

namespace {

cpu::CpuOptions cpuOptions(const CompileOptions& o) {
  cpu::CpuOptions c;
  c.optLevel = o.optLevel;
  c.mcpu = o.cpu;
  c.mattr = o.features;
  c.fuse = o.fuse;
  c.microKernels = o.specialisedKernels;
  c.parallelGrainWork = o.parallelGrainWork;
  return c;
}

struct CpuFormat {
  const char* name;
  const char* extension;
  const char* description;
  cpu::EmitKind kind;
};
constexpr CpuFormat kFormats[] = {
    {"so", ".so", "shared library for the kiln runtime (kiln run X.so, kiln.h)", cpu::EmitKind::SharedLibrary},
    {"obj", ".o", "relocatable object file", cpu::EmitKind::Object},
    {"llvm", ".ll", "LLVM IR (text, after optimisation)", cpu::EmitKind::LLVMIR},
    {"asm", ".s", "assembly", cpu::EmitKind::Asm},
};

class CpuBackend final : public Backend {
 public:
  std::string_view name() const override { return "cpu"; }
  std::string_view description() const override { return "LLVM CPU backend compiled in memory (JIT), float32 and float64 tensors each in their own precision"; }
  bool supports(const Node& n, std::string* why) const override {
    if (cpu::cpuSupports(n.kind)) return true;
    if (why) *why = "the CPU backend has no lowering for this op";
    return false;
  }
  bool usesThreads() const override { return true; }
  std::unique_ptr<Executable> compile(const Graph& g, const CompileOptions& o) const override {
    return cpu::compileCpuJit(g, cpuOptions(o));
  }
  const std::vector<EmitFormat>& emitFormats() const override {
    static const std::vector<EmitFormat> formats = [] {
      std::vector<EmitFormat> v;
      for (const CpuFormat& f : kFormats) v.push_back({f.name, f.extension, f.description});
      return v;
    }();
    return formats;
  }
  void emit(const Graph& g, const CompileOptions& o, std::string_view format,
            const std::string& path) const override {
    for (const CpuFormat& f : kFormats)
      if (format == f.name) return cpu::compileCpuToFile(g, cpuOptions(o), f.kind, path);
    Backend::emit(g, o, format, path);
  }
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend() { return std::make_unique<CpuBackend>(); }

}  // namespace kiln::backend
