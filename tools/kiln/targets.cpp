#include "targets.h"

#include "args.h"

namespace kiln::cli {

TensorMap PreparedModel::run(const TensorMap& inputs, int threads) {
  check(inputs);
  return runChecked(inputs, threads);
}

void PreparedModel::check(const TensorMap& inputs) const { checkInputs(graph(), inputs); }

namespace {

/// A graph compiled by a backend in memory.
class BackendModel final : public PreparedModel {
 public:
  BackendModel(std::unique_ptr<Graph> g, const backend::Backend& b)
      : graph_(std::move(g)), exec_(b.compile(*graph_, backend::CompileOptions{})) {}
  const Graph& graph() const override { return *graph_; }

 protected:
  TensorMap runChecked(const TensorMap& inputs, int threads) override { return exec_->run(inputs, threads); }

 private:
  std::unique_ptr<Graph> graph_;
  std::unique_ptr<backend::Executable> exec_;
};

}  // namespace

std::unique_ptr<PreparedModel> TargetInfo::prepare(std::unique_ptr<Graph> graph) const {
  return std::make_unique<BackendModel>(std::move(graph), *backend);
}

std::unique_ptr<PreparedModel> prepareReference64(std::unique_ptr<Graph> g) {
  return findTarget("ref64").prepare(std::move(g));
}

const std::vector<TargetInfo>& targets() {
  static const std::vector<TargetInfo> table = [] {
    std::vector<TargetInfo> t;
    for (const backend::Backend* b : backend::registeredBackends())
      t.push_back({std::string(b->name()), std::string(b->description()), b->usesThreads(), b});
    return t;
  }();
  return table;
}

const TargetInfo& findTarget(const std::string& name) {
  for (const TargetInfo& t : targets())
    if (name == t.name) return t;
  std::string known;
  for (const TargetInfo& t : targets()) known += (known.empty() ? "" : ", ") + t.name;
  throw UsageError("unknown target '" + name + "' (known targets: " + known + ")");
}

std::string defaultTargetName() { return targets().front().name; }

std::string targetHelp() {
  std::string text = "where to run:";
  for (const TargetInfo& t : targets()) text += "\n" + t.name + " = " + t.description;
  return text + "\n(default " + defaultTargetName() + ")";
}

}  // namespace kiln::cli
