#include "kiln/plan/poly.h"

#include <algorithm>
#include <limits>

#include "kiln/support/checked_math.h"
#include "kiln/support/error.h"

namespace kiln::plan {

Poly::Poly(int64_t c) { add({}, c); }

Poly Poly::symbol(int id) {
  Poly p;
  p.add({id}, 1);
  return p;
}

namespace {
[[noreturn]] void overflow() {
  throw Error(ErrorCode::Unsupported, "a symbolic size does not fit in 64 bits (a coefficient overflows int64)");
}
}  // namespace

void Poly::add(const std::vector<int>& mono, int64_t coef) {
  if (coef == 0) return;
  auto [it, inserted] = terms_.emplace(mono, coef);
  if (inserted) return;
  const std::optional<int64_t> sum = checkedAdd(it->second, coef);
  if (!sum) overflow();
  if ((it->second = *sum) == 0) terms_.erase(it);
}

bool Poly::isConst() const { return terms_.empty() || (terms_.size() == 1 && terms_.begin()->first.empty()); }

int64_t Poly::constValue() const {
  auto it = terms_.find({});
  return it == terms_.end() ? 0 : it->second;
}

Poly Poly::operator+(const Poly& o) const {
  Poly r = *this;
  for (const auto& [m, c] : o.terms_) r.add(m, c);
  return r;
}

Poly Poly::operator-(const Poly& o) const {
  Poly r = *this;
  for (const auto& [m, c] : o.terms_) {
    if (c == std::numeric_limits<int64_t>::min()) overflow();
    r.add(m, -c);
  }
  return r;
}

Poly Poly::operator*(const Poly& o) const {
  Poly r;
  for (const auto& [ma, ca] : terms_)
    for (const auto& [mb, cb] : o.terms_) {
      std::vector<int> m = ma;
      m.insert(m.end(), mb.begin(), mb.end());
      std::sort(m.begin(), m.end());
      const std::optional<int64_t> c = checkedMul(ca, cb);
      if (!c) overflow();
      r.add(m, *c);
    }
  return r;
}

std::optional<Poly> Poly::divExact(const Poly& d) const {
  if (d.terms_.size() != 1) return std::nullopt;
  const auto& [dm, dc] = *d.terms_.begin();
  Poly r;
  for (const auto& [m, c] : terms_) {
    if (c % dc != 0) return std::nullopt;
    // Remove dm's symbols (a multiset) from m.
    std::vector<int> rest;
    if (!std::includes(m.begin(), m.end(), dm.begin(), dm.end())) return std::nullopt;
    std::set_difference(m.begin(), m.end(), dm.begin(), dm.end(), std::back_inserter(rest));
    r.add(rest, c / dc);
  }
  return r;
}

int64_t Poly::evaluate(std::span<const int64_t> symbols) const {
  std::optional<int64_t> v = 0;
  for (const auto& [m, c] : terms_) {
    std::optional<int64_t> t = c;
    for (int s : m)
      if (t) t = checkedMul(*t, symbols[static_cast<size_t>(s)]);
    if (t && v) v = checkedAdd(*v, *t);
    if (!t || !v)
      throw Error(ErrorCode::InvalidInput, "a size computed from the input dims does not fit in 64 bits");
  }
  return *v;
}

std::string Poly::str(const std::vector<std::string>& names) const {
  if (terms_.empty()) return "0";
  std::string s;
  // Highest degree first reads naturally ("N*4+1").
  for (auto it = terms_.rbegin(); it != terms_.rend(); ++it) {
    const auto& [m, c] = *it;
    std::string t;
    if (c < 0) t = "-";
    else if (!s.empty()) t = "+";
    const int64_t a = c < 0 ? -c : c;
    if (m.empty() || a != 1) t += std::to_string(a);
    for (size_t i = 0; i < m.size(); ++i)
      t += (i == 0 && (a == 1) ? "" : "*") + names[static_cast<size_t>(m[i])];
    s += t;
  }
  return s;
}

Poly product(std::span<const Poly> dims) {
  Poly p = 1;
  for (const Poly& d : dims) p = p * d;
  return p;
}

}  // namespace kiln::plan
