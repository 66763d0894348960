#include "kiln/passes/pass.h"

namespace kiln {

void PassReport::note(const std::string& pass, const std::string& message) {
  log.push_back("[" + pass + "] " + message);
}

// The index is checked against `bn` on every hit and rebuilt when `bn` was edited directly.
BnDecision* PassReport::lookup(const std::string& node) const {
  auto* self = const_cast<PassReport*>(this);
  if (auto it = byNode_.find(node); it != byNode_.end() && it->second < bn.size() && bn[it->second].node == node)
    return &self->bn[it->second];
  if (byNode_.size() == bn.size() && byNode_.count(node) == 0) return nullptr;
  byNode_.clear();
  for (size_t i = 0; i < bn.size(); ++i) byNode_[bn[i].node] = i;
  auto it = byNode_.find(node);
  return it == byNode_.end() ? nullptr : &self->bn[it->second];
}

void PassReport::decide(BnDecision d) {
  if (BnDecision* existing = lookup(d.node)) {
    *existing = std::move(d);
    return;
  }
  byNode_[d.node] = bn.size();
  bn.push_back(std::move(d));
}

const BnDecision* PassReport::find(const std::string& node) const { return lookup(node); }

}  // namespace kiln
