#include <algorithm>
#include <cassert>

#include "kiln/support/error.h"
#include "kiln/support/checked_math.h"
#include "shape_rules.h"

namespace kiln::shape {

const Shape& RuleContext::shape(size_t i) const {
  const Value* v = in(i);
  assert(v && v->hasShape);
  return v->shape;
}

std::string RuleContext::describeInput(size_t i, const char* role) const {
  const Value* v = in(i);
  assert(v);
  std::string s = std::string(role) + " '" + v->name + "'";
  if (v->hasShape) s += " " + shapeToString(v->shape);
  return s;
}

void RuleContext::fail(const std::string& what) const {
  throw Error(ErrorCode::InvalidModel, node.describe() + ": " + what);
}

void RuleContext::requireFloat(size_t i, const char* role) const {
  const Value* v = in(i);
  if (v && !isFloat(v->dtype))
    fail(std::string(role) + " '" + v->name + "' has dtype " + dtypeName(v->dtype) +
         ", expected float32 or float64");
}

void RuleContext::requireSameDType(size_t i, size_t j) const {
  const Value* a = in(i);
  const Value* b = in(j);
  if (a && b && a->dtype != b->dtype)
    fail("inputs '" + a->name + "' (" + dtypeName(a->dtype) + ") and '" + b->name + "' (" +
         dtypeName(b->dtype) + ") must have the same dtype");
}

void RuleContext::requireRank(size_t i, int64_t r, const char* role) const {
  if (rank(i) != r)
    fail(describeInput(i, role) + " must have rank " + std::to_string(r));
}

void RuleContext::requireMinRank(size_t i, int64_t r, const char* role) const {
  if (rank(i) < r)
    fail(describeInput(i, role) + " must have rank >= " + std::to_string(r));
}

void RuleContext::requireInteger(size_t i, const char* role) const {
  const Value* v = in(i);
  if (v && (isFloat(v->dtype) || v->dtype == DType::Bool))
    fail(std::string(role) + " '" + v->name + "' has dtype " + dtypeName(v->dtype) +
         ", expected an integer type");
}

int64_t RuleContext::normalizeAxis(int64_t axis, int64_t r, const char* what) const {
  if (axis < -r || axis >= r)
    fail(std::string(what) + " " + std::to_string(axis) + " is out of range for rank " +
         std::to_string(r));
  return axis < 0 ? axis + r : axis;
}

void RuleContext::setOutput(size_t i, DType t, Shape s) const {
  if (i >= node.outputs.size() || !node.outputs[i]) return;
  std::optional<int64_t> elements = 1;
  for (const Dim& d : s) {
    if (d.value < -1) fail("computed a negative extent for output '" + node.outputs[i]->name + "'");
    if (d.isKnown() && elements) elements = checkedMul(*elements, d.value);
    if (!elements || *elements > kMaxTensorElements)
      fail("output '" + node.outputs[i]->name + "' would have more than 2^48 elements");
  }
  Value* v = node.outputs[i];
  v->dtype = t;
  v->shape = std::move(s);
  v->hasShape = true;
}

void RuleContext::setOutputDType(size_t i, DType t) const {
  if (i >= node.outputs.size() || !node.outputs[i]) return;
  node.outputs[i]->dtype = t;
  node.outputs[i]->hasShape = false;
  node.outputs[i]->shape.clear();
}

void RuleContext::setContent(size_t i, std::optional<content::Content> c) const {
  if (i >= node.outputs.size() || !node.outputs[i]) return;
  Value* v = node.outputs[i];
  bool fits = c && !isFloat(v->dtype) && v->dtype != DType::Bool && v->hasShape &&
              v->shape.size() <= 1 &&
              static_cast<int64_t>(c->size()) <= content::kMaxElements &&
              (v->shape.empty() ? c->size() == 1
                                : !v->shape[0].isKnown() ||
                                      v->shape[0].value == static_cast<int64_t>(c->size()));
  v->symbolicContent = fits ? std::move(c) : std::nullopt;
}

std::optional<Dim> broadcastDim(const Dim& a, const Dim& b) {
  if (a.isKnown() && b.isKnown()) {
    if (a.value == b.value || b.value == 1) return a;
    if (a.value == 1) return b;
    return std::nullopt;
  }
  if (a.isKnown()) return a.value == 1 ? b : a;
  if (b.isKnown()) return b.value == 1 ? a : b;
  if (a == b) return a;
  return Dim{};  // two different symbols (or unknowns): either could be 1
}

std::optional<Shape> broadcastShapes(const Shape& a, const Shape& b) {
  size_t r = std::max(a.size(), b.size());
  Shape out(r);
  for (size_t i = 0; i < r; ++i) {
    Dim da = i < r - a.size() ? Dim::known(1) : a[i - (r - a.size())];
    Dim db = i < r - b.size() ? Dim::known(1) : b[i - (r - b.size())];
    auto d = broadcastDim(da, db);
    if (!d) return std::nullopt;
    out[i] = *d;
  }
  return out;
}

std::optional<Dim> unifyDims(const Dim& a, const Dim& b) {
  if (a.isKnown() && b.isKnown()) return a.value == b.value ? std::optional<Dim>(a) : std::nullopt;
  if (a.isKnown()) return a;
  if (b.isKnown()) return b;
  return a.symbol.empty() ? b : a;
}

Dim dimProduct(const Shape& s, size_t begin, size_t end) {
  int64_t known = 1;
  const Dim* other = nullptr;
  int unknowns = 0;
  for (size_t i = begin; i < end; ++i) {
    if (s[i].isKnown()) {
      const std::optional<int64_t> k = checkedMul(known, s[i].value);
      if (!k) return Dim{};  // too large to track: unknown (setOutput refuses such shapes)
      known = *k;
    } else {
      other = &s[i];
      ++unknowns;
    }
  }
  if (unknowns == 0) return Dim::known(known);
  if (known == 0) return Dim::known(0);
  if (unknowns == 1 && known == 1) return *other;
  return Dim{};
}

Dim dimSum(const Dim& a, const Dim& b) {
  if (a.isKnown() && b.isKnown()) {
    const std::optional<int64_t> s = checkedAdd(a.value, b.value);
    return s ? Dim::known(*s) : Dim{};
  }
  if (b.isKnown() && b.value == 0) return a;
  if (a.isKnown() && a.value == 0) return b;
  return Dim{};
}

std::optional<content::Content> inputContent(const RuleContext& ctx, size_t i) {
  return content::of(ctx.in(i));
}

}  // namespace kiln::shape
