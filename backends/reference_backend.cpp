// The reference evaluator (compiler/eval) as a backend: `ref` (fp32, each op in its declared
// dtype) and `ref64` (every float in double), what the tests compare every other backend with.
#include "kiln/backends/backend.h"

namespace kiln::backend {

namespace {

class ReferenceExecutable final : public Executable {
 public:
  ReferenceExecutable(std::unique_ptr<Graph> g, Precision p) : graph_(std::move(g)), precision_(p) {}
  TensorMap run(const TensorMap& inputs, int) const override {
    return evaluate(*graph_, inputs, precision_);
  }

 private:
  std::unique_ptr<Graph> graph_;
  Precision precision_;
};

class ReferenceBackend final : public Backend {
 public:
  explicit ReferenceBackend(Precision p) : precision_(p) {}
  std::string_view name() const override { return precision_ == Precision::F64 ? "ref64" : "ref"; }
  std::string_view description() const override {
    return precision_ == Precision::F64 ? "reference evaluator, fp64 throughout" : "reference evaluator, in each tensor's precision (fp32 for float32)";
  }
  // The evaluator implements every op of ops.def (its dispatch table is generated from it).
  bool supports(const Node&, std::string*) const override { return true; }
  bool isReference() const override { return true; }
  std::unique_ptr<Executable> compile(const Graph& g, const CompileOptions&) const override {
    return std::make_unique<ReferenceExecutable>(g.clone(), precision_);
  }

 private:
  Precision precision_;
};

}  // namespace

std::unique_ptr<Backend> makeReferenceBackend(Precision p) { return std::make_unique<ReferenceBackend>(p); }

}  // namespace kiln::backend
