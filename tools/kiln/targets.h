#pragma once
/// "Prepare a model for a target, then run it": the one seam between the CLI and whatever
/// executes a graph. Today the targets are the reference evaluator in fp32 (`ref`) and fp64
/// (`ref64`); a compiled backend (the LLVM CPU backend) becomes one more entry in the table
/// in targets.cpp, and every subcommand that takes --target picks it up.
#include <memory>
#include <string>
#include <vector>

#include "kiln/eval/evaluator.h"
#include "kiln/ir/graph.h"

namespace kiln::cli {

/// A graph made ready for one target (for a compiled backend: the compiled artifact).
class PreparedModel {
 public:
  virtual ~PreparedModel() = default;
  /// The graph this model was prepared from (inputs/outputs, shapes).
  virtual const Graph& graph() const = 0;
  /// Checks `inputs` against the graph (checkInputs: names, dtypes, shapes; the error names
  /// the input) and runs. Outputs are keyed by graph output name.
  TensorMap run(const TensorMap& inputs);

 protected:
  virtual TensorMap runChecked(const TensorMap& inputs) = 0;
};

/// One entry of the target table.
struct TargetInfo {
  const char* name;
  const char* description;
  /// Takes ownership of an already-optimised graph (after runPipeline, or as imported).
  std::unique_ptr<PreparedModel> (*prepare)(std::unique_ptr<Graph> graph);
};

/// All known targets, default first.
const std::vector<TargetInfo>& targets();
/// The target called `name`; UsageError listing the known ones if there is none.
const TargetInfo& findTarget(const std::string& name);
/// Name of the default target ("ref").
std::string defaultTargetName();
/// Help text for --target: "ref (reference evaluator, fp32), ref64 (...)".
std::string targetHelp();

/// The fp64 reference evaluator (used by `kiln compare` on the original imported graph).
std::unique_ptr<PreparedModel> prepareReference64(std::unique_ptr<Graph> graph);

}  // namespace kiln::cli
