#pragma once
/// The backend interface: what every code generator (and the reference evaluator) offers the
/// tools and the tests. A backend has a name, says which nodes it can compile, compiles a graph
/// in memory, and may write files (`--emit` formats). Backends are registered once, in
/// backends/registry.cpp from the list CMake generates for the enabled ones; nothing else
/// names a backend.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kiln/eval/evaluator.h"
#include "kiln/ir/graph.h"

namespace kiln::backend {

/// Options every compiling backend understands; a backend ignores what does not apply to it.
struct CompileOptions {
  int optLevel = 3;               ///< 0..3
  std::string cpu = "native";     ///< CPU backend: LLVM CPU name ("native" = the host)
  std::string features;           ///< CPU backend: extra LLVM target features ("+avx2,+fma")
  bool fuse = true;               ///< fuse elementwise chains and epilogues into kernels
  bool specialisedKernels = true; ///< hand-shaped kernels (CPU: the GEMM micro-kernel)
  /// Work below which a kernel runs on one thread; 0 = the backend's default.
  int64_t parallelGrainWork = 0;
};

/// A graph compiled in memory. Thread-safe: run may be called from several threads.
class Executable {
 public:
  virtual ~Executable() = default;
  /// Runs on named inputs (every graph input, dtypes and shapes as declared) with up to
  /// `threads` threads; returns the named graph outputs. Throws Error(InvalidInput) naming the
  /// input for a wrong name, dtype or shape.
  virtual TensorMap run(const TensorMap& inputs, int threads = 1) const = 0;
};

/// A file format a backend writes (`kiln compile --emit NAME`).
struct EmitFormat {
  std::string name;         ///< "so", "obj", ...
  std::string extension;    ///< ".so": chosen when -o ends with it
  std::string description;
};

class Backend {
 public:
  virtual ~Backend() = default;
  /// The --target name ("cpu", "ref").
  virtual std::string_view name() const = 0;
  /// One line for --help.
  virtual std::string_view description() const = 0;
  /// True when the backend can compile this node (op and attributes); otherwise `why`, when
  /// given, says what it lacks.
  virtual bool supports(const Node& node, std::string* why = nullptr) const = 0;
  /// True when --threads changes how a run executes.
  virtual bool usesThreads() const { return false; }
  /// True for a reference evaluator (the tests compare the others against fp64).
  virtual bool isReference() const { return false; }
  /// Empty when compiled graphs can run on this machine; otherwise why not (e.g. the CUDA
  /// backend without a driver or device). compile() and emit() work either way; run() then
  /// throws Error(Unsupported) with this reason.
  virtual std::string unavailableReason() const { return {}; }
  /// Compiles `g` (after runPipeline, or as imported) in memory. Throws Error(Unsupported)
  /// naming the node for what it cannot compile.
  virtual std::unique_ptr<Executable> compile(const Graph& g, const CompileOptions& o) const = 0;
  /// The formats `emit` writes; empty when the backend writes none.
  virtual const std::vector<EmitFormat>& emitFormats() const;
  /// Writes `g` compiled into `path` in one of emitFormats() (atomically).
  virtual void emit(const Graph& g, const CompileOptions& o, std::string_view format,
                    const std::string& path) const;
};

/// Every backend of this build, the default first (the CPU backend when built with LLVM,
/// else the fp32 reference evaluator).
const std::vector<const Backend*>& registeredBackends();
/// The backend called `name`, or nullptr.
const Backend* findBackend(std::string_view name);

}  // namespace kiln::backend
