#include "kiln/plan/kernel_plan.h"

#include <algorithm>

namespace kiln::plan {

void forEachLoad(const Kernel& k, const std::function<void(const Expr&)>& f) {
  auto walk = [&](const Expr& e) {
    if (e) visit(e, [&](const Expr& n) { if (n->op == EOp::Load) f(n); });
  };
  walk(k.value);
  if (k.reduce) walk(k.reduce->body);
  for (const Expr& s : k.store) walk(s);
  walk(k.interior);
  if (k.moments) {
    walk(k.moments->group);
    walk(k.moments->partials);
  }
}

std::vector<int> rootBuffersOf(const Program& p, const Kernel& k) {
  std::vector<int> roots;
  if (k.out >= 0) roots.push_back(p.root(k.out));
  if (k.moments) roots.push_back(p.root(k.moments->buf));
  forEachLoad(k, [&](const Expr& n) { roots.push_back(p.root(static_cast<int>(n->i))); });
  for (const RangeCheck& c : k.checks) roots.push_back(p.root(c.buf));
  std::sort(roots.begin(), roots.end());
  roots.erase(std::unique(roots.begin(), roots.end()), roots.end());
  return roots;
}

}  // namespace kiln::plan
