#include "kiln/passes/pass.h"

namespace kiln {

void PassReport::note(const std::string& pass, const std::string& message) {
  log.push_back("[" + pass + "] " + message);
}

void PassReport::decide(BnDecision d) {
  for (BnDecision& existing : bn) {
    if (existing.node == d.node) {
      existing = std::move(d);
      return;
    }
  }
  bn.push_back(std::move(d));
}

}  // namespace kiln
