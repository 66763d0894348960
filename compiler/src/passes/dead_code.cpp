#include "kiln/passes/dead_code.h"

#include <unordered_set>

namespace kiln {

namespace {
constexpr const char* kPass = "eliminateDeadCode";
}  // namespace

bool eliminateDeadCode(Graph& g, PassContext& ctx) {
  // Walk backwards from the graph outputs; a node is live when one of its outputs is.
  std::unordered_set<const Value*> needed(g.outputs.begin(), g.outputs.end());
  std::vector<Node*> dead;
  std::vector<Node*> nodes = g.nodeList();
  for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) {
    Node* n = *it;
    bool live = false;
    for (const Value* out : n->outputs) live |= out && needed.count(out);
    if (!live) {
      dead.push_back(n);
      continue;
    }
    for (const Value* in : n->inputs)
      if (in) needed.insert(in);
  }
  std::string names;
  for (auto it = dead.rbegin(); it != dead.rend(); ++it) {
    names += (names.empty() ? "" : ", ") + (*it)->describe();
    g.removeNode(*it);
  }
  size_t before = g.values().size();
  g.pruneValues();
  size_t pruned = before - g.values().size();
  if (!dead.empty())
    ctx.report.note(kPass, "removed " + std::to_string(dead.size()) + " node(s): " + names);
  if (pruned)
    ctx.report.note(kPass, "dropped " + std::to_string(pruned) + " unused value(s)");
  return !dead.empty() || pruned;
}

}  // namespace kiln
