#include "bn_util.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdio>
#include <set>

#include "kiln/eval/evaluator.h"

namespace kiln::bn {

// ---- constants

namespace {

// Ops whose value on constant inputs constantOf() may compute: cheap elementwise ops and pure
// data movement (Transpose: PyTorch exports Linear without bias as MatMul(x, W^T)), i.e. what
// constant folding would do anyway.
bool isFoldable(OpKind k) {
  switch (k) {
    case OpKind::Add: case OpKind::Sub: case OpKind::Mul: case OpKind::Div:
    case OpKind::Pow: case OpKind::Sqrt: case OpKind::Neg: case OpKind::Reciprocal:
    case OpKind::Exp: case OpKind::Log: case OpKind::Abs: case OpKind::Identity:
    case OpKind::Cast: case OpKind::Reshape: case OpKind::Unsqueeze: case OpKind::Squeeze:
    case OpKind::Transpose:
      return true;
    default:
      return false;
  }
}

constexpr int kMaxFoldDepth = 8;
constexpr int64_t kMaxFoldElements = int64_t{1} << 22;

std::shared_ptr<const Tensor> constantOfImpl(const Value* v, int depth) {
  if (!v) return nullptr;
  if (v->constant) return v->constant;
  const Node* p = v->producer;
  if (!p || depth == 0 || !isFoldable(p->kind)) return nullptr;
  std::vector<std::shared_ptr<const Tensor>> keep;
  std::vector<const Tensor*> ins;
  for (const Value* in : p->inputs) {
    if (!in) {
      ins.push_back(nullptr);
      continue;
    }
    auto t = constantOfImpl(in, depth - 1);
    if (!t || t->size() > kMaxFoldElements) return nullptr;
    keep.push_back(t);
    ins.push_back(t.get());
  }
  std::vector<Tensor> outs = evaluateNode(*p, ins, Precision::F64);
  if (static_cast<size_t>(v->producerOutput) >= outs.size()) return nullptr;
  // Computed in float64; handed out in the value's own dtype, as constant folding would.
  return std::make_shared<const Tensor>(outs[v->producerOutput].castTo(v->dtype));
}

}  // namespace

std::shared_ptr<const Tensor> constantOf(const Value* v) { return constantOfImpl(v, kMaxFoldDepth); }

std::optional<double> scalarConstant(const Value* v) {
  auto t = constantOf(v);
  if (!t || t->size() != 1) return std::nullopt;
  return t->getDouble(0);
}

std::optional<std::vector<double>> constantDoubles(const Value* v) {
  auto t = constantOf(v);
  if (!t) return std::nullopt;
  return t->toDoubles();
}

// ---- consumers and graph edits

size_t consumerCount(const Graph& g, const Value* v) { return g.users(v).size(); }

Node* soleConsumer(const Graph& g, const Value* v) {
  if (!v || g.isOutput(v)) return nullptr;
  std::vector<Node*> us = g.users(v);
  return us.size() == 1 ? us[0] : nullptr;
}

bool contains(const Graph& g, const Node* n) { return g.contains(n); }

namespace {
// A node is dead when none of the outputs it still produces is read or is a graph output.
bool isDead(const Graph& g, const Node* n) {
  for (const Value* out : n->outputs) {
    if (!out || out->producer != n) continue;
    if (g.isOutput(out) || !g.users(out).empty()) return false;
  }
  return true;
}
}  // namespace

void removeWithDeadProducers(Graph& g, Node* n) {
  std::vector<Value*> ins = n->inputs;
  g.removeNode(n);
  for (Value* in : ins) eraseDeadProducers(g, in);
}

void eraseDeadProducers(Graph& g, Value* v) {
  if (!v || !v->producer) return;
  Node* p = v->producer;
  if (!isDead(g, p)) return;
  removeWithDeadProducers(g, p);
}

std::string describeNode(const Node* n) { return std::string(opName(n->kind)) + " '" + n->name + "'"; }

std::string describeSource(const Value* v) {
  if (v->producer) return describeNode(v->producer);
  if (v->isConstant()) return "constant '" + v->name + "'";
  return "graph input '" + v->name + "'";
}

// ---- broadcasting

std::optional<int64_t> perChannelAxis(const std::vector<int64_t>& c, const Shape& data) {
  const int64_t rank = static_cast<int64_t>(data.size());
  const int64_t crank = static_cast<int64_t>(c.size());
  if (crank > rank) return std::nullopt;  // would add leading dims to the result
  int64_t axis = kScalarAxis;
  for (int64_t i = 0; i < crank; ++i) {
    if (c[i] == 1) continue;
    const int64_t dataAxis = rank - crank + i;
    const Dim& d = data[dataAxis];
    // A known data dim must match; an unknown one is forced equal by broadcasting (or the
    // model is invalid), except that a data dim of 1 would be enlarged, caught by the check.
    if (d.isKnown() && d.value != c[i]) return std::nullopt;
    if (axis != kScalarAxis) return std::nullopt;
    axis = dataAxis;
  }
  return axis;
}

std::optional<std::vector<int64_t>> normaliseAxes(const std::vector<int64_t>& axes, int64_t rank) {
  std::vector<int64_t> out;
  for (int64_t a : axes) {
    if (a < -rank || a >= rank) return std::nullopt;
    out.push_back(a < 0 ? a + rank : a);
  }
  std::sort(out.begin(), out.end());
  if (std::adjacent_find(out.begin(), out.end()) != out.end()) return std::nullopt;
  return out;
}

// ---- tensors and weights

Value* addDoubleConstant(Graph& g, const std::string& hint, const std::vector<double>& v,
                         std::vector<int64_t> dims, DType dtype) {
  assert(isFloat(dtype));
  return g.addConstant(hint, Tensor::fromDoubles(v, std::move(dims), dtype));
}

void forEachIndex(const std::vector<int64_t>& dims,
                  const std::function<void(int64_t, const std::vector<int64_t>&)>& f) {
  const int64_t total = numElements(dims);
  std::vector<int64_t> idx(dims.size(), 0);
  for (int64_t flat = 0; flat < total; ++flat) {
    f(flat, idx);
    for (int64_t d = static_cast<int64_t>(dims.size()) - 1; d >= 0; --d) {
      if (++idx[d] < dims[d]) break;
      idx[d] = 0;
    }
  }
}

std::pair<std::vector<double>, std::vector<int64_t>> affineGemmBias(
    const Tensor* c, double beta, const std::vector<double>& colScale,
    const std::vector<double>& colAdd) {
  const int64_t n = static_cast<int64_t>(colScale.size());
  assert(static_cast<int64_t>(colAdd.size()) == n);
  // C varies along rows only when it is 2-D with more than one row ([M,1] or [M,N]), and along
  // columns when its last dim is not 1.
  const int64_t rows = (c && c->rank() == 2 && c->dims[0] > 1) ? c->dims[0] : 1;
  const int64_t cCols = (c && c->rank() >= 1) ? c->dims.back() : 1;
  const std::vector<double> cv = c ? c->toDoubles() : std::vector<double>{0.0};
  std::vector<double> out(static_cast<size_t>(rows * n));
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      const double cij = cv[static_cast<size_t>(i * cCols + (cCols > 1 ? j : 0))];
      out[i * n + j] = beta * cij * colScale[j] + colAdd[j];
    }
  }
  std::vector<int64_t> dims = rows > 1 ? std::vector<int64_t>{rows, n} : std::vector<int64_t>{n};
  return {std::move(out), std::move(dims)};
}

std::vector<double> scaleAlongAxis(const Tensor& w, int64_t axis, const std::vector<double>& s) {
  assert(axis >= 0 && axis < w.rank() && static_cast<int64_t>(s.size()) == w.dims[axis]);
  std::vector<double> out = w.toDoubles();
  int64_t inner = 1;
  for (int64_t d = axis + 1; d < w.rank(); ++d) inner *= w.dims[d];
  const int64_t extent = w.dims[axis];
  for (int64_t i = 0; i < static_cast<int64_t>(out.size()); ++i) out[i] *= s[(i / inner) % extent];
  return out;
}

Node* insertNodeAfter(Graph& g, Node* pos, OpKind kind, const std::string& name,
                      std::vector<Value*> inputs, std::vector<Value*> outputs, NodeAttrs attrs) {
  const auto& nodes = g.nodes();
  for (auto it = nodes.begin(); it != nodes.end(); ++it) {
    if (it->get() != pos) continue;
    if (++it == nodes.end()) break;
    return g.insertNodeBefore(it->get(), kind, name, std::move(inputs), std::move(outputs), std::move(attrs));
  }
  return g.addNode(kind, name, std::move(inputs), std::move(outputs), std::move(attrs));
}

void replaceInput(Graph& g, Node* n, size_t i, Value* v) {
  Value* old = n->input(i);
  g.setInput(n, i, v);
  if (old && old != v) eraseDeadProducers(g, old);
}

// ---- ScaleShift

std::optional<ScaleShiftParts> readScaleShift(const Node& n, std::string& why) {
  assert(n.kind == OpKind::ScaleShift);
  ScaleShiftParts p;
  p.x = n.input(0);
  p.y = n.outputs.empty() ? nullptr : n.outputs[0];
  p.axis = n.as<ScaleShiftAttrs>().axis;
  auto a = constantDoubles(n.input(1));
  auto b = constantDoubles(n.input(2));
  if (!a || !b) {
    why = "ScaleShift scale/shift are not constant";
    return std::nullopt;
  }
  if (!p.x || !p.y || !p.x->hasShape || p.axis < 0 || p.axis >= static_cast<int64_t>(p.x->shape.size())) {
    why = "ScaleShift input shape or axis is unknown";
    return std::nullopt;
  }
  const Dim& d = p.x->shape[p.axis];
  size_t channels = std::max(a->size(), b->size());
  if (channels == 1 && d.isKnown()) channels = static_cast<size_t>(d.value);
  auto fit = [&](std::vector<double>& v) {
    if (v.size() == 1) v.assign(channels, v[0]);
    return v.size() == channels;
  };
  if (!fit(*a) || !fit(*b) || (d.isKnown() && static_cast<size_t>(d.value) != channels)) {
    why = "ScaleShift scale/shift length does not match axis " + std::to_string(p.axis);
    return std::nullopt;
  }
  p.scale = std::move(*a);
  p.shift = std::move(*b);
  return p;
}

// ---- decisions

std::string decisionKey(const Node& n) {
  if (!n.name.empty()) return n.name;
  return !n.outputs.empty() && n.outputs[0] ? n.outputs[0]->name : std::string("?");
}

const BnDecision* findDecision(const PassReport& report, const std::string& key) {
  return report.find(key);
}

void decide(PassContext& ctx, const std::string& pass, const std::string& key,
            const std::string& pattern, const std::string& action, const std::string& reason) {
  const BnDecision* old = findDecision(ctx.report, key);
  std::string pat = old ? old->pattern : pattern;
  ctx.report.note(pass, pat + " '" + key + "': " + action + (reason.empty() ? "" : " (" + reason + ")"));
  ctx.report.decide(BnDecision{key, pat, action, reason});
}

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? sep : "") + parts[i];
  return out;
}

std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace kiln::bn
