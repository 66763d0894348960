#include <algorithm>
#include <unordered_set>

#include "kiln/plan/schedule.h"

namespace kiln::plan {

namespace {

std::vector<Expr> loadsOf(const Expr& e, int buf) {
  std::vector<Expr> out;
  if (!e) return out;
  visit(e, [&](const Expr& n) {
    if (n->op == EOp::Load && n->i == buf) out.push_back(n);
  });
  return out;
}

// Pure data movement: loads, index arithmetic, selects and casts; no float arithmetic.
bool isDataMovement(const Expr& e) {
  bool ok = true;
  visit(e, [&](const Expr& n) {
    if (isFloatE(n->type) && n->op != EOp::Load && n->op != EOp::Select && n->op != EOp::ConstF &&
        n->op != EOp::Cast)
      ok = false;
  });
  return ok;
}

bool isIdentity(const Expr& load, size_t rank) {
  if (load->args.size() != rank) return false;
  for (size_t i = 0; i < rank; ++i)
    if (load->args[i]->op != EOp::Var || load->args[i]->i != static_cast<int64_t>(i)) return false;
  return true;
}

Expr replaceLoads(const Expr& e, int buf, const std::function<Expr(const Expr&)>& with) {
  if (!e) return e;
  return rewrite(e, [&](const Expr& n) -> Expr {
    return n->op == EOp::Load && n->i == buf ? with(n) : nullptr;
  });
}

struct Usage {
  std::vector<int> writers;       ///< kernels storing into the buffer or a view of it
  std::vector<int> readers;       ///< kernels loading it directly
  bool viewed = false;            ///< an Alias refers to it
};

std::vector<Usage> usage(const Program& p) {
  std::vector<Usage> u(p.buffers.size());
  for (size_t b = 0; b < p.buffers.size(); ++b)
    if (p.buffers[b].kind == BufferKind::Alias) u[p.buffers[b].aliasOf].viewed = true;
  for (size_t k = 0; k < p.kernels.size(); ++k) {
    const Kernel& K = p.kernels[k];
    if (K.out >= 0) u[p.root(K.out)].writers.push_back(static_cast<int>(k));
    forEachLoad(K, [&](const Expr& n) {
      auto& r = u[n->i].readers;
      if (r.empty() || r.back() != static_cast<int>(k)) r.push_back(static_cast<int>(k));
    });
  }
  return u;
}

// Fused expressions stop growing at this many distinct nodes: every fusion step walks the
// consumer's expression, so a bound keeps a chain of n elementwise ops O(n) to fuse (and
// keeps LLVM's work per kernel bounded); real networks fuse chains far shorter than this.
constexpr size_t kMaxFusedNodes = 256;

// Distinct nodes of `e`, counting stops above `limit`.
size_t boundedSize(const Expr& e, size_t limit) {
  if (!e) return 0;
  std::unordered_set<const ExprNode*> seen;
  std::vector<const ExprNode*> stack{e.get()};
  while (!stack.empty() && seen.size() <= limit) {
    const ExprNode* n = stack.back();
    stack.pop_back();
    if (!seen.insert(n).second) continue;
    for (const Expr& a : n->args) stack.push_back(a.get());
  }
  return seen.size();
}

size_t kernelSize(const Kernel& k, size_t limit) {
  return boundedSize(k.value, limit) + (k.reduce ? boundedSize(k.reduce->body, limit) : 0);
}

// Tries to fuse the producer of `buf` into reader kernel `ci`; true on success, with the
// producer marked dead (its index stays valid until fuseKernels compacts the list).
bool tryFuse(Program& p, const std::vector<Usage>& u, const std::vector<bool>& checked, int buf, int ci,
             std::vector<bool>& dead) {
  const Buffer& B = p.buffers[buf];
  const Usage& use = u[buf];
  if (B.kind != BufferKind::Temp || use.viewed || use.writers.size() != 1 || use.readers.size() != 1)
    return false;
  const int pi = use.writers[0];
  if (dead[pi]) return false;
  Kernel& P = p.kernels[pi];
  Kernel& C = p.kernels[ci];
  if (pi >= ci || P.out != buf || !P.store.empty() || P.moments || C.moments) return false;
  if (checked[buf]) return false;  // a range check reads the materialised buffer
  if (kernelSize(C, kMaxFusedNodes) + kernelSize(P, kMaxFusedNodes) > kMaxFusedNodes) return false;
  const auto inValue = loadsOf(C.value, buf);
  const auto inBody = C.reduce ? loadsOf(C.reduce->body, buf) : std::vector<Expr>{};
  size_t allLoads = 0;  // loads in store indices or conditions are not rewritten below
  forEachLoad(C, [&](const Expr& n) { allLoads += n->i == buf; });
  if (allLoads != inValue.size() + inBody.size()) return false;

  if (!P.reduce) {
    // One reference in all (a Relu's two uses of one load node are two references).
    const bool single = inBody.empty() && countReferences(C.value, [&](const ExprNode& n) {
                          return n.op == EOp::Load && n.i == buf;
                        }) == 1;
    if (!single && !isDataMovement(P.value)) return false;
    auto inline_ = [&](const Expr& ld) { return cast(ld->type, substituteVars(P.value, ld->args)); };
    C.value = replaceLoads(C.value, buf, inline_);
    if (C.reduce) C.reduce->body = replaceLoads(C.reduce->body, buf, inline_);
    C.name = P.name + "+" + C.name;
    C.checks.insert(C.checks.begin(), P.checks.begin(), P.checks.end());
  } else {
    // Every load of buf is the element at the reader's position (a Relu reads it twice), so
    // all become the producer's value.
    const bool identity = !inValue.empty() && std::all_of(inValue.begin(), inValue.end(), [&](const Expr& ld) {
      return isIdentity(ld, C.domain.size());
    });
    if (C.reduce || !identity || !inBody.empty() || C.domain != P.domain) return false;
    Kernel merged = P;
    merged.name = P.name + "+" + C.name;
    merged.value = replaceLoads(C.value, buf, [&](const Expr& ld) { return cast(ld->type, P.value); });
    merged.out = C.out;
    merged.store = C.store;
    merged.checks.insert(merged.checks.end(), C.checks.begin(), C.checks.end());
    C = std::move(merged);
  }
  dead[pi] = true;
  return true;
}

// Folds the statistics pass S (a kernel that only accumulates the moments of buffer y, read
// element for element) into y's producer P: P accumulates the values as it stores them, so y
// is not read again for the statistics. Only where P writes y whole over S's domain (the
// groups are then the same expression of the same variables) and every other reader of y
// belongs to the same BatchNorm (reads the moments the sums finalise into): a producer whose
// output goes elsewhere as well keeps the standalone pass.
bool foldStatistics(Program& p, const std::vector<Usage>& u, int si) {
  const Kernel& S = p.kernels[si];
  if (!S.moments || S.moments->step != MomentSums::Step::Accumulate || S.out >= 0 || S.reduce ||
      S.value->op != EOp::Load || !isIdentity(S.value, S.domain.size()))
    return false;
  const int y = static_cast<int>(S.value->i);
  const Usage& use = u[y];
  if (p.buffers[y].kind != BufferKind::Temp || use.viewed || use.writers.size() != 1) return false;
  Kernel& P = p.kernels[use.writers[0]];
  if (use.writers[0] >= si || P.out != y || !P.store.empty() || P.domain != S.domain || P.moments ||
      P.value->type != EType::F32)
    return false;
  int moments = -1;
  for (const Kernel& F : p.kernels)
    if (F.moments && F.moments->step == MomentSums::Step::Finalize && F.moments->buf == S.moments->buf) moments = F.out;
  for (int r : use.readers)
    if (r != si && loadsOf(p.kernels[r].value, moments).empty()) return false;
  P.moments = S.moments;
  P.name += "+" + S.name;
  p.kernels.erase(p.kernels.begin() + si);
  return true;
}

}  // namespace

// One pass over the kernels in order: each consumer absorbs its producers until none is
// left to fuse. Fusing into kernel c only changes the readers of what c now reads (the dead
// producer's reads become c's), never what an earlier kernel may fuse, so the result is the
// same as restarting from the first kernel after every fusion, in time linear in the program.
int fuseKernels(Program& p) {
  int fused = 0;
  std::vector<Usage> u = usage(p);
  std::vector<bool> checked(p.buffers.size(), false);  // read by a range check
  for (const Kernel& K : p.kernels)
    for (const RangeCheck& rc : K.checks) checked[rc.buf] = true;
  std::vector<bool> dead(p.kernels.size(), false);
  for (size_t ci = 0; ci < p.kernels.size(); ++ci) {
    for (bool changed = true; changed;) {
      changed = false;
      std::vector<int> bufs;
      forEachLoad(p.kernels[ci], [&](const Expr& n) { bufs.push_back(static_cast<int>(n->i)); });
      std::sort(bufs.begin(), bufs.end());
      bufs.erase(std::unique(bufs.begin(), bufs.end()), bufs.end());
      for (int b : bufs) {
        if (u[b].writers.size() != 1) continue;
        const int pi = u[b].writers[0];
        std::vector<int> producerReads;
        forEachLoad(p.kernels[pi], [&](const Expr& n) { producerReads.push_back(static_cast<int>(n->i)); });
        if (!tryFuse(p, u, checked, b, static_cast<int>(ci), dead)) continue;
        // The producer's reads are now the consumer's (readers stay sorted and unique).
        for (int r : producerReads) {
          std::vector<int>& readers = u[r].readers;
          std::replace(readers.begin(), readers.end(), pi, static_cast<int>(ci));
          std::sort(readers.begin(), readers.end());
          readers.erase(std::unique(readers.begin(), readers.end()), readers.end());
        }
        changed = true;
        ++fused;
        break;
      }
    }
  }
  std::vector<Kernel> live;
  for (size_t k = 0; k < p.kernels.size(); ++k)
    if (!dead[k]) live.push_back(std::move(p.kernels[k]));
  p.kernels = std::move(live);
  // After the epilogues are final: the statistics are of the values the producers store.
  u = usage(p);
  for (size_t si = 0; si < p.kernels.size();) {
    if (foldStatistics(p, u, static_cast<int>(si))) {
      ++fused;
      u = usage(p);  // kernel indices shifted
    } else {
      ++si;
    }
  }
  return fused;
}

}  // namespace kiln::plan
