#include "symbolic_content.h"

namespace kiln::content {

bool fullyLiteral(const Content& c) {
  for (const Dim& d : c)
    if (!isLiteral(d)) return false;
  return true;
}

std::optional<Content> of(const Value* v) {
  if (!v) return std::nullopt;
  if (v->constant) {
    const Tensor& t = *v->constant;
    if (isFloat(t.dtype) || t.dtype == DType::Bool || t.rank() > 1 || t.size() > kMaxElements)
      return std::nullopt;
    Content c;
    for (int64_t x : t.toInts()) c.push_back(literal(x));
    return c;
  }
  return v->symbolicContent;
}

std::optional<Content> fromShape(const Shape& s) {
  Content c;
  for (const Dim& d : s) {
    if (d.isKnown()) c.push_back(literal(d.value));
    else if (!d.symbol.empty()) c.push_back(Dim::symbolic(d.symbol));
    else return std::nullopt;
  }
  return c;
}

std::vector<int64_t> literals(const Content& c) {
  std::vector<int64_t> out;
  for (const Dim& d : c) out.push_back(d.value);
  return out;
}

std::string toString(const Content& c) {
  std::string out = "[";
  for (size_t i = 0; i < c.size(); ++i) {
    if (i) out += ",";
    out += isLiteral(c[i]) ? std::to_string(c[i].value) : c[i].symbol;
  }
  return out + "]";
}

}  // namespace kiln::content
