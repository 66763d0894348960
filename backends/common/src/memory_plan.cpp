#include <algorithm>
#include <limits>

#include "kiln/plan/schedule.h"

namespace kiln::plan {

namespace {

constexpr int64_t kAlign = 64;
// Symbol value used to compare symbolic sizes when choosing a slot (a typical batch).
constexpr int64_t kRepresentative = 16;

struct Slot {
  std::vector<Poly> sizes;  ///< the slot must hold the largest of these
  int lastUse = -1;
  int64_t repSize = 0;
};

// a >= b for every non-negative symbol value when a - b has no negative coefficient.
bool dominates(const Poly& a, const Poly& b) {
  const Poly diff = a - b;
  for (const auto& [mono, coef] : diff.terms())
    if (coef < 0) return false;
  return true;
}

Expr maxOf(const std::vector<Poly>& sizes) {
  Expr e;
  for (size_t i = 0; i < sizes.size(); ++i) {
    bool dominated = false;
    for (size_t j = 0; j < sizes.size() && !dominated; ++j)
      dominated = j != i && dominates(sizes[j], sizes[i]) && !(j > i && sizes[j] == sizes[i]);
    if (!dominated) e = e ? maxE(e, size(sizes[i])) : size(sizes[i]);
  }
  return e;
}

Expr alignUp(Expr e) {
  return mul(floorDiv(add(std::move(e), constI(kAlign - 1)), constI(kAlign)), constI(kAlign));
}

}  // namespace

Poly bufferBytes(const Buffer& b) {
  return product(b.shape) * Poly(static_cast<int64_t>(dtypeSize(b.dtype)));
}

void planMemory(Program& p) {
  const size_t nb = p.buffers.size();
  std::vector<int> first(nb, std::numeric_limits<int>::max()), last(nb, -1);
  for (size_t k = 0; k < p.kernels.size(); ++k) {
    const Kernel& K = p.kernels[k];
    for (int b : rootBuffersOf(p, K)) {
      first[b] = std::min(first[b], static_cast<int>(k));
      last[b] = std::max(last[b], static_cast<int>(k));
    }
  }
  std::vector<int> temps;
  for (size_t b = 0; b < nb; ++b)
    if (p.buffers[b].kind == BufferKind::Temp && last[b] >= 0) temps.push_back(static_cast<int>(b));
  std::sort(temps.begin(), temps.end(), [&](int a, int b) { return first[a] < first[b]; });

  const std::vector<int64_t> rep(p.symbols.size(), kRepresentative);
  std::vector<Slot> slots;
  std::vector<int> slotOf(nb, -1);
  for (int b : temps) {
    const Poly bytes = bufferBytes(p.buffers[b]);
    const int64_t want = bytes.evaluate(rep);
    // Best free slot: the smallest that fits, else the largest (it grows least).
    int best = -1;
    for (size_t s = 0; s < slots.size(); ++s) {
      if (slots[s].lastUse >= first[b]) continue;
      if (best < 0) { best = static_cast<int>(s); continue; }
      const int64_t cur = slots[best].repSize, cand = slots[s].repSize;
      const bool curFits = cur >= want, candFits = cand >= want;
      if ((candFits && (!curFits || cand < cur)) || (!candFits && !curFits && cand > cur))
        best = static_cast<int>(s);
    }
    if (best < 0) {
      slots.emplace_back();
      best = static_cast<int>(slots.size()) - 1;
    }
    Slot& s = slots[best];
    if (std::find(s.sizes.begin(), s.sizes.end(), bytes) == s.sizes.end()) s.sizes.push_back(bytes);
    s.lastUse = last[b];
    s.repSize = std::max(s.repSize, want);
    slotOf[b] = best;
  }
  std::vector<Expr> offsets;
  Expr total = constI(0);
  for (const Slot& s : slots) {
    offsets.push_back(total);
    total = add(total, alignUp(maxOf(s.sizes)));
  }
  for (int b : temps) p.buffers[b].offset = offsets[slotOf[b]];
  p.workspaceBytes = total;
}

}  // namespace kiln::plan
