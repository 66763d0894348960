#include "targets.h"

#include "args.h"

#ifdef KILN_CLI_HAVE_CPU
#include "kiln/backends/cpu/cpu_backend.h"
#endif

namespace kiln::cli {

TensorMap PreparedModel::run(const TensorMap& inputs, int threads) {
  check(inputs);
  return runChecked(inputs, threads);
}

void PreparedModel::check(const TensorMap& inputs) const { checkInputs(graph(), inputs); }

namespace {

/// The reference evaluator at a fixed precision.
class ReferenceModel final : public PreparedModel {
 public:
  ReferenceModel(std::unique_ptr<Graph> g, Precision p) : graph_(std::move(g)), precision_(p) {}
  const Graph& graph() const override { return *graph_; }

 protected:
  TensorMap runChecked(const TensorMap& inputs, int) override {
    return evaluate(*graph_, inputs, precision_);
  }

 private:
  std::unique_ptr<Graph> graph_;
  Precision precision_;
};

std::unique_ptr<PreparedModel> prepareReference32(std::unique_ptr<Graph> g) {
  return std::make_unique<ReferenceModel>(std::move(g), Precision::F32);
}

#ifdef KILN_CLI_HAVE_CPU
/// The LLVM CPU backend, compiled in memory for the host (ORC JIT).
class CpuJitModel final : public PreparedModel {
 public:
  explicit CpuJitModel(std::unique_ptr<Graph> g)
      : graph_(std::move(g)), compiled_(cpu::compileCpuJit(*graph_)) {}
  const Graph& graph() const override { return *graph_; }

 protected:
  TensorMap runChecked(const TensorMap& inputs, int threads) override {
    return compiled_->run(inputs, threads);
  }

 private:
  std::unique_ptr<Graph> graph_;
  std::unique_ptr<cpu::CompiledModel> compiled_;
};

std::unique_ptr<PreparedModel> prepareCpuJit(std::unique_ptr<Graph> g) {
  return std::make_unique<CpuJitModel>(std::move(g));
}
#endif

}  // namespace

std::unique_ptr<PreparedModel> prepareReference64(std::unique_ptr<Graph> g) {
  return std::make_unique<ReferenceModel>(std::move(g), Precision::F64);
}

const std::vector<TargetInfo>& targets() {
  static const std::vector<TargetInfo> table = {
#ifdef KILN_CLI_HAVE_CPU
      {"cpu", "LLVM CPU backend compiled in memory (JIT), fp32", prepareCpuJit, true},
#endif
      {"ref", "reference evaluator, fp32", prepareReference32},
      {"ref64", "reference evaluator, fp64", prepareReference64},
  };
  return table;
}

const TargetInfo& findTarget(const std::string& name) {
  for (const TargetInfo& t : targets())
    if (name == t.name) return t;
  std::string known;
  for (const TargetInfo& t : targets()) known += (known.empty() ? "" : ", ") + std::string(t.name);
  throw UsageError("unknown target '" + name + "' (known targets: " + known + ")");
}

std::string defaultTargetName() { return targets().front().name; }

std::string targetHelp() {
  std::string text = "where to run:";
  for (const TargetInfo& t : targets())
    text += std::string("\n") + t.name + " = " + t.description;
  return text + "\n(default " + defaultTargetName() + ")";
}

}  // namespace kiln::cli
