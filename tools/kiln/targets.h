#pragma once
/// "Prepare a model for a target, then run it": the one seam between the CLI and whatever
/// executes a graph. The targets are the registered backends (kiln/backends/backend.h): the
/// LLVM CPU backend compiled in memory (`cpu`, the default when kiln is built with LLVM) and
/// the reference evaluator in fp32 (`ref`) and fp64 (`ref64`). A loaded .so artifact
/// (artifact.h) is one more PreparedModel.
#include <memory>
#include <string>
#include <vector>

#include "kiln/backends/backend.h"
#include "kiln/eval/evaluator.h"
#include "kiln/ir/graph.h"

namespace kiln::cli {

/// A graph made ready for one target (for a compiled backend: the compiled artifact).
class PreparedModel {
 public:
  virtual ~PreparedModel() = default;
  /// The graph this model was prepared from (inputs/outputs, shapes). For an artifact, a
  /// graph without nodes that only declares the artifact's inputs and outputs.
  virtual const Graph& graph() const = 0;
  /// Checks `inputs` (checkInputs: names, dtypes, shapes; the error names the input) and
  /// runs with up to `threads` threads (targets without threads ignore it). Outputs are
  /// keyed by graph output name.
  TensorMap run(const TensorMap& inputs, int threads = 1);

 protected:
  /// Validates the inputs; by default checkInputs against graph(). An artifact leaves this
  /// to the runtime so that its messages reach the user.
  virtual void check(const TensorMap& inputs) const;
  virtual TensorMap runChecked(const TensorMap& inputs, int threads) = 0;
};

/// One target: a registered backend.
struct TargetInfo {
  std::string name;
  std::string description;
  bool usesThreads = false;  ///< true when --threads makes a difference
  const backend::Backend* backend = nullptr;
  /// Compiles an already-optimised graph (after runPipeline, or as imported), taking it over.
  std::unique_ptr<PreparedModel> prepare(std::unique_ptr<Graph> graph) const;
};

/// All known targets (the registered backends), default first.
const std::vector<TargetInfo>& targets();
/// The target called `name`; UsageError listing the known ones if there is none.
const TargetInfo& findTarget(const std::string& name);
/// Name of the default target ("cpu" when built with LLVM, else "ref").
std::string defaultTargetName();
/// Help text for --target: "ref (reference evaluator, fp32), ref64 (...)".
std::string targetHelp();

/// The fp64 reference evaluator (used by `kiln compare` on the original imported graph).
std::unique_ptr<PreparedModel> prepareReference64(std::unique_ptr<Graph> graph);

}  // namespace kiln::cli
