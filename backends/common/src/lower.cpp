#include "lower.h"

#include <algorithm>

#include "kiln/support/error.h"

namespace kiln::plan {

namespace {

using LowerFn = void (*)(LowerCtx&);

// The dispatch table, generated from ops.def: an op without a lowerX function fails to link.
constexpr LowerFn kLowerings[] = {
#define KILN_OP(Id, Domain, Name, Attrs, MinIn, MaxIn, MinOut, MaxOut) &lower##Id,
#include "kiln/ir/ops.def"
#undef KILN_OP
};
static_assert(std::size(kLowerings) == static_cast<size_t>(kNumOps));

int internSymbol(Program& p, const std::string& name) {
  for (size_t i = 0; i < p.symbols.size(); ++i)
    if (p.symbols[i] == name) return static_cast<int>(i);
  p.symbols.push_back(name);
  return static_cast<int>(p.symbols.size()) - 1;
}

std::vector<Poly> inputShape(Program& p, const Value& v) {
  std::vector<Poly> s;
  for (size_t d = 0; d < v.shape.size(); ++d) {
    const Dim& dim = v.shape[d];
    if (dim.isKnown()) s.emplace_back(dim.value);
    else s.push_back(Poly::symbol(internSymbol(p, dim.symbol.empty() ? v.name + ":" + std::to_string(d) : dim.symbol)));
  }
  return s;
}

// A graph output that is not written by a kernel of its own (an input, a constant, an
// alias, or a value listed twice) gets a copy kernel.
void copyToOutput(Program& p, int src, int outIndex, const std::string& name) {
  const Buffer s = p.buffers[src];  // a copy: addBuffer may reallocate
  Buffer o{name, s.dtype, s.shape, BufferKind::Output, outIndex};
  const int out = p.addBuffer(o);
  Kernel k;
  k.name = "copy_" + name;
  k.domain = s.shape;
  k.value = load(src, valueType(s.dtype), vars(s.shape.size()));
  k.out = out;
  p.kernels.push_back(std::move(k));
  p.outputBuffers[outIndex] = out;
}

// Cross-check the lowering's shape against what shape inference knows.
void checkShape(const Node& n, const Value& v, const std::vector<Poly>& s) {
  if (!v.hasShape) return;
  bool ok = v.shape.size() == s.size();
  bool declaredOnly = false;  // a known dim the plan can only compute from an unknown input dim
  for (size_t d = 0; ok && d < s.size(); ++d)
    if (v.shape[d].isKnown()) {
      ok = s[d].isConst() && s[d].constValue() == v.shape[d].value;
      declaredOnly = !s[d].isConst();
    }
  // The model declares an extent (a graph output's or a value_info's) that depends on an
  // input dim it leaves unknown: kiln does not bind input dims from declared outputs.
  if (!ok && declaredOnly)
    throw Error(ErrorCode::Unsupported, n.describe() + ": the model declares '" + v.name + "' as " +
                                            shapeToString(v.shape) +
                                            ", which fixes an input dim the model leaves unknown; declare that input dim instead");
  if (!ok)
    throw Error(ErrorCode::Internal, n.describe() + ": the kernel plan computed another shape for '" +
                                         v.name + "' than shape inference " + shapeToString(v.shape));
}

}  // namespace

std::vector<Poly> stridesOf(const std::vector<Poly>& shape) {
  std::vector<Poly> s(shape.size(), Poly(1));
  for (size_t i = shape.size(); i-- > 1;) s[i - 1] = s[i] * shape[i];
  return s;
}

std::optional<std::vector<Poly>> broadcastShape(const std::vector<Poly>& a,
                                                const std::vector<Poly>& b) {
  const size_t r = std::max(a.size(), b.size());
  std::vector<Poly> out(r);
  for (size_t i = 0; i < r; ++i) {
    const Poly one(1);
    const Poly& x = i + a.size() >= r ? a[i + a.size() - r] : one;
    const Poly& y = i + b.size() >= r ? b[i + b.size() - r] : one;
    if (x == y || y == one) out[i] = x;
    else if (x == one) out[i] = y;
    else return std::nullopt;
  }
  return out;
}

// ---- LowerCtx

int LowerCtx::in(size_t i) {
  const Value* v = node.input(i);
  auto it = buffers_.find(v);
  if (it != buffers_.end()) return it->second;
  if (!v->isConstant())
    throw Error(ErrorCode::Internal, node.describe() + ": input '" + v->name + "' has no buffer");
  Buffer b{v->name, v->constant->dtype, {}, BufferKind::Constant};
  for (int64_t d : v->constant->dims) b.shape.emplace_back(d);
  b.data = v->constant;
  const int id = prog.addBuffer(std::move(b));
  buffers_[v] = id;
  return id;
}

std::vector<Poly> LowerCtx::shape(size_t i) { return prog.buffers[in(i)].shape; }

const Tensor* LowerCtx::constant(size_t i) const {
  const Value* v = node.input(i);
  return v && v->isConstant() ? v->constant.get() : nullptr;
}

std::vector<int64_t> LowerCtx::constInts(size_t i) const {
  const Tensor* t = constant(i);
  if (!t) unsupported("input '" + node.input(i)->name + "' must be a constant");
  return t->toInts();
}

std::optional<std::vector<Poly>> LowerCtx::shapeValue(size_t i) {
  std::vector<Poly> out;
  if (constant(i)) {
    for (int64_t v : constInts(i)) out.emplace_back(v);
    return out;
  }
  const auto& content = node.input(i)->symbolicContent;
  if (!content) return std::nullopt;
  for (const Dim& d : *content) {
    if (d.symbol.empty()) {
      out.emplace_back(d.value);
      continue;
    }
    auto it = std::find(prog.symbols.begin(), prog.symbols.end(), d.symbol);
    if (it == prog.symbols.end()) return std::nullopt;
    out.push_back(Poly::symbol(static_cast<int>(it - prog.symbols.begin())));
  }
  return out;
}

int64_t LowerCtx::staticDim(size_t i, size_t d) {
  const std::vector<Poly> dims = shape(i);  // by value: shape() returns a copy
  if (d >= dims.size())
    unsupported("input '" + node.input(i)->name + "' has rank " + std::to_string(dims.size()) +
                ", dim " + std::to_string(d) + " is needed");
  const Poly& p = dims[d];
  if (!p.isConst())
    unsupported("dim " + std::to_string(d) + " of input '" + node.input(i)->name +
                "' must be known at compile time, got " + p.str(prog.symbols));
  return p.constValue();
}

bool LowerCtx::wantsOutput(size_t o) const {
  if (o >= node.outputs.size() || !node.outputs[o]) return false;
  const Value* v = node.outputs[o];
  return graph.isOutput(v) || !graph.users(v).empty();
}

int LowerCtx::output(size_t o, std::vector<Poly> shape, DType t) {
  const Value* v = node.outputs.at(o);
  checkShape(node, *v, shape);
  Buffer b{v->name, t, std::move(shape), BufferKind::Temp};
  for (size_t k = 0; k < graph.outputs.size(); ++k)
    if (graph.outputs[k] == v && prog.outputBuffers[k] < 0) {
      b.kind = BufferKind::Output;
      b.index = static_cast<int>(k);
      break;
    }
  const int id = prog.addBuffer(std::move(b));
  if (prog.buffers[id].kind == BufferKind::Output) prog.outputBuffers[prog.buffers[id].index] = id;
  buffers_[v] = id;
  return id;
}

void LowerCtx::alias(size_t o, int src, std::vector<Poly> shape) {
  const Value* v = node.outputs.at(o);
  checkShape(node, *v, shape);
  buffers_[v] = view(src, std::move(shape));
  prog.buffers[buffers_[v]].name = v->name;
}

int LowerCtx::temp(const std::string& role, std::vector<Poly> shape, DType t) {
  return prog.addBuffer(Buffer{node.name + "_" + role, t, std::move(shape), BufferKind::Temp});
}

int LowerCtx::view(int src, std::vector<Poly> shape) {
  Buffer b{prog.buffers[src].name + "_view", prog.buffers[src].dtype, std::move(shape), BufferKind::Alias};
  b.aliasOf = src;
  return prog.addBuffer(std::move(b));
}

Expr LowerCtx::ld(int buf, std::vector<Expr> index) const {
  return load(buf, valueType(prog.buffers[buf].dtype), std::move(index));
}

Expr LowerCtx::ldBroadcast(size_t i, const std::vector<Expr>& vs) {
  const std::vector<Poly> s = shape(i);
  std::vector<Expr> idx;
  for (size_t d = 0; d < s.size(); ++d)
    idx.push_back(s[d] == Poly(1) ? constI(0) : vs[vs.size() - s.size() + d]);
  return ldIn(i, idx);
}

Expr LowerCtx::ldScalar(size_t i) { return ldIn(i, std::vector<Expr>(rank(i), constI(0))); }

Expr LowerCtx::ldChannel(size_t i, Expr ch) {
  const std::vector<Poly> s = shape(i);
  if (product(s) == Poly(1)) return ldScalar(i);
  if (s.size() != 1) unsupported("per-channel input '" + node.input(i)->name + "' must be 1-D");
  return ldIn(i, {std::move(ch)});
}

void LowerCtx::kernel(const std::string& role, Kernel k) {
  k.name = node.name + (role.empty() ? "" : "_" + role);
  prog.kernels.push_back(std::move(k));
}

void LowerCtx::elementwise(const std::string& role, int out, const std::vector<Poly>& domain,
                           const std::function<Expr(const std::vector<Expr>&)>& f) {
  Kernel k;
  k.domain = domain;
  k.value = f(vars(domain.size()));
  k.out = out;
  kernel(role, std::move(k));
}

void LowerCtx::unsupported(const std::string& why) const {
  throw Error(ErrorCode::Unsupported, node.describe() + ": cannot lower: " + why);
}

// ---- the graph walk

Program lowerGraph(const Graph& g, const TargetParams& target) {
  Program p;
  p.maxPartials = target.maxPartials;
  p.name = g.name.empty() ? "model" : g.name;
  std::unordered_map<const Value*, int> buffers;
  for (size_t i = 0; i < g.inputs.size(); ++i) {
    const Value* v = g.inputs[i];
    if (!v->hasShape) throw Error(ErrorCode::Unsupported, "input '" + v->name + "' has no known rank");
    Buffer b{v->name, v->dtype, inputShape(p, *v), BufferKind::Input, static_cast<int>(i)};
    p.inputs.push_back({v->name, v->dtype, b.shape});
    buffers[v] = p.addBuffer(std::move(b));
    p.inputBuffers.push_back(buffers[v]);
  }
  p.outputBuffers.assign(g.outputs.size(), -1);
  for (const auto& n : g.nodes()) {
    LowerCtx c(p, g, *n, target, buffers);
    try {
      kLowerings[static_cast<size_t>(n->kind)](c);
    } catch (const Error& e) {
      const std::string where = n->describe();
      if (std::string_view(e.what()).starts_with(where)) throw;
      throw Error(e.code(), where + ": " + e.what());  // e.g. size arithmetic that overflows
    }
  }
  for (size_t k = 0; k < g.outputs.size(); ++k) {
    const Value* v = g.outputs[k];
    auto it = buffers.find(v);
    if (it == buffers.end()) {
      if (!v->isConstant()) throw Error(ErrorCode::InvalidModel, "output '" + v->name + "' is never computed");
      Buffer b{v->name, v->constant->dtype, {}, BufferKind::Constant};
      for (int64_t d : v->constant->dims) b.shape.emplace_back(d);
      b.data = v->constant;
      it = buffers.emplace(v, p.addBuffer(std::move(b))).first;
    }
    if (p.outputBuffers[k] < 0) copyToOutput(p, it->second, static_cast<int>(k), v->name);
    const Buffer& o = p.buffers[p.outputBuffers[k]];
    p.outputs.push_back({v->name, o.dtype, o.shape});
  }
  return p;
}

}  // namespace kiln::plan
