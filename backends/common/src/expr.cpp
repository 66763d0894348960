#include "kiln/plan/expr.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include <cassert>
#include <string>

#include "kiln/support/error.h"

namespace kiln::plan {

namespace {

Expr make(EOp op, EType t, std::vector<Expr> args = {}) {
  auto n = std::make_shared<ExprNode>();
  n->op = op;
  n->type = t;
  n->args = std::move(args);
  return n;
}

bool constInt(const Expr& e, int64_t& v) {
  if (e->op != EOp::ConstI) return false;
  v = e->i;
  return true;
}

int64_t floorDivI(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// An F32 value used beside an F64 one becomes F64: a constant keeps its double literal, a
// count converted to float is converted from the integer directly, anything else is cast.
// (ONNX ops take operands of one type, so only the lowering's own constants, counts and
// accumulators ever meet a float64 value this way.)
Expr widen(const Expr& e) {
  if (e->op == EOp::ConstF) {
    auto n = std::make_shared<ExprNode>(*e);
    n->type = EType::F64;
    return n;
  }
  if (e->op == EOp::Cast && e->args[0]->type == EType::I64) return make(EOp::Cast, EType::F64, {e->args[0]});
  return make(EOp::Cast, EType::F64, {e});
}

void unify(Expr& a, Expr& b) {
  if (a->type == EType::F64 && b->type == EType::F32) b = widen(b);
  else if (a->type == EType::F32 && b->type == EType::F64) a = widen(a);
}

}  // namespace

Expr constF(double v) {
  auto n = std::make_shared<ExprNode>();
  n->op = EOp::ConstF;
  n->type = EType::F32;
  n->f = v;
  return n;
}

Expr constI(int64_t v) {
  auto n = std::make_shared<ExprNode>();
  n->op = EOp::ConstI;
  n->type = EType::I64;
  n->i = v;
  return n;
}

Expr size(const Poly& p) {
  if (p.isConst()) return constI(p.constValue());
  auto n = std::make_shared<ExprNode>();
  n->op = EOp::Size;
  n->type = EType::I64;
  n->size = p;
  return n;
}

Expr var(int id) {
  auto n = std::make_shared<ExprNode>();
  n->op = EOp::Var;
  n->type = EType::I64;
  n->i = id;
  return n;
}

std::vector<Expr> vars(size_t n, int first) {
  std::vector<Expr> v;
  for (size_t i = 0; i < n; ++i) v.push_back(var(first + static_cast<int>(i)));
  return v;
}

Expr load(int buf, EType type, std::vector<Expr> index) {
  auto n = std::make_shared<ExprNode>();
  n->op = EOp::Load;
  n->type = type;
  n->i = buf;
  n->args = std::move(index);
  return n;
}

Expr acc(EType t) { return make(EOp::Acc, t); }

bool isConstI(const Expr& e, int64_t v) { return e->op == EOp::ConstI && e->i == v; }

Expr unary(EOp op, Expr a) {
  if (op == EOp::Neg && a->op == EOp::ConstI) return constI(-a->i);
  const EType t = op == EOp::Not ? EType::Bool : a->type;
  return make(op, t, {std::move(a)});
}

Expr binary(EOp op, Expr a, Expr b) {
  unify(a, b);
  // A lowering that pairs an integer with a float operand is a kiln bug; an error (not an
  // assert that release builds drop) keeps it from reaching a code generator.
  if (a->type != b->type && op != EOp::Pow)
    throw Error(ErrorCode::Internal, "kernel plan: a binary operator got operands of two types (" +
                                         std::to_string(static_cast<int>(a->type)) + ", " +
                                         std::to_string(static_cast<int>(b->type)) + ")");
  int64_t x, y;
  if (constInt(a, x) && constInt(b, y)) {
    // Folded as the generated code computes: wrapping, and INT64_MIN / -1 wraps too.
    const auto wrap = [](uint64_t v) { return constI(static_cast<int64_t>(v)); };
    const auto ux = static_cast<uint64_t>(x), uy = static_cast<uint64_t>(y);
    if ((op == EOp::FloorDiv || op == EOp::Mod) && y == 0)
      throw Error(ErrorCode::Internal, "kernel plan: a constant index division by zero");
    switch (op) {
      case EOp::Add: return wrap(ux + uy);
      case EOp::Sub: return wrap(ux - uy);
      case EOp::Mul: return wrap(ux * uy);
      case EOp::FloorDiv: return y == -1 ? wrap(0 - ux) : constI(floorDivI(x, y));
      case EOp::Mod: return y == -1 ? constI(0) : wrap(ux - static_cast<uint64_t>(floorDivI(x, y)) * uy);
      case EOp::Min: return constI(std::min(x, y));
      case EOp::Max: return constI(std::max(x, y));
      default: break;
    }
  }
  if (a->type == EType::I64) {
    switch (op) {
      case EOp::Add:
        if (isConstI(a, 0)) return b;
        if (isConstI(b, 0)) return a;
        break;
      case EOp::Sub:
        if (isConstI(b, 0)) return a;
        break;
      case EOp::Mul:
        if (isConstI(a, 1)) return b;
        if (isConstI(b, 1)) return a;
        if (isConstI(a, 0) || isConstI(b, 0)) return constI(0);
        break;
      case EOp::FloorDiv:
        if (isConstI(b, 1)) return a;
        break;
      case EOp::Mod:
        if (isConstI(b, 1)) return constI(0);
        break;
      default: break;
    }
  }
  EType t = a->type;
  if (op == EOp::Lt || op == EOp::Le || op == EOp::Eq) t = EType::Bool;
  return make(op, t, {std::move(a), std::move(b)});
}

Expr add(Expr a, Expr b) { return binary(EOp::Add, std::move(a), std::move(b)); }
Expr sub(Expr a, Expr b) { return binary(EOp::Sub, std::move(a), std::move(b)); }
Expr mul(Expr a, Expr b) { return binary(EOp::Mul, std::move(a), std::move(b)); }
Expr div(Expr a, Expr b) { return binary(EOp::Div, std::move(a), std::move(b)); }
Expr floorDiv(Expr a, Expr b) { return binary(EOp::FloorDiv, std::move(a), std::move(b)); }
Expr mod(Expr a, Expr b) { return binary(EOp::Mod, std::move(a), std::move(b)); }
Expr minE(Expr a, Expr b) { return binary(EOp::Min, std::move(a), std::move(b)); }
Expr maxE(Expr a, Expr b) { return binary(EOp::Max, std::move(a), std::move(b)); }
Expr lt(Expr a, Expr b) { return binary(EOp::Lt, std::move(a), std::move(b)); }
Expr le(Expr a, Expr b) { return binary(EOp::Le, std::move(a), std::move(b)); }
Expr eq(Expr a, Expr b) { return binary(EOp::Eq, std::move(a), std::move(b)); }

Expr land(Expr a, Expr b) {
  if (!a) return b;
  if (!b) return a;
  return make(EOp::And, EType::Bool, {std::move(a), std::move(b)});
}

Expr select(Expr c, Expr a, Expr b) {
  if (!c) return a;
  unify(a, b);
  const EType t = a->type;
  return make(EOp::Select, t, {std::move(c), std::move(a), std::move(b)});
}

Expr cast(EType to, Expr a) {
  if (a->type == to) return a;
  if (isFloatE(to) && a->op == EOp::ConstI) {
    Expr f = constF(static_cast<double>(a->i));
    return to == EType::F64 ? widen(f) : f;
  }
  return make(EOp::Cast, to, {std::move(a)});
}

Expr inRange(Expr a, Expr n) {
  return land(le(constI(0), a), lt(a, std::move(n)));
}

// Expressions are DAGs: fusion inlines a producer at every load of its buffer, so a chain of
// Relus (each reading its input twice) shares subtrees 2^n ways. Every walk below handles
// each distinct node once, so its cost is linear in the DAG, not in the unfolded tree.

bool hasLoad(const Expr& e) {
  bool found = false;
  visit(e, [&](const Expr& n) { found = found || n->op == EOp::Load; });
  return found;
}

namespace {

Expr rewriteMemo(const Expr& e, const std::function<Expr(const Expr&)>& f,
                 std::unordered_map<const ExprNode*, Expr>& memo) {
  if (auto it = memo.find(e.get()); it != memo.end()) return it->second;
  Expr out = f(e);
  if (!out && e->args.empty()) out = e;
  if (!out) {
    std::vector<Expr> args;
    bool changed = false;
    for (const Expr& a : e->args) {
      args.push_back(rewriteMemo(a, f, memo));
      changed |= args.back() != a;
    }
    if (!changed) {
      out = e;
    } else {
      auto n = std::make_shared<ExprNode>(*e);
      n->args = std::move(args);
      // Re-run the folding builders for integer binaries so substituted constants simplify.
      if (n->args.size() == 2 && n->type == EType::I64 && n->op != EOp::Load) out = binary(n->op, n->args[0], n->args[1]);
      else out = std::move(n);
    }
  }
  memo.emplace(e.get(), out);
  return out;
}

}  // namespace

Expr rewrite(const Expr& e, const std::function<Expr(const Expr&)>& f) {
  std::unordered_map<const ExprNode*, Expr> memo;
  return rewriteMemo(e, f, memo);
}

void visit(const Expr& e, const std::function<void(const Expr&)>& f) {
  std::unordered_set<const ExprNode*> seen;
  std::vector<const Expr*> stack{&e};
  while (!stack.empty()) {
    const Expr& n = *stack.back();
    stack.pop_back();
    if (!seen.insert(n.get()).second) continue;
    f(n);
    for (auto it = n->args.rbegin(); it != n->args.rend(); ++it) stack.push_back(&*it);
  }
}

int64_t countReferences(const Expr& e, const std::function<bool(const ExprNode&)>& pred) {
  std::unordered_map<const ExprNode*, int64_t> memo;
  const std::function<int64_t(const Expr&)> count = [&](const Expr& n) -> int64_t {
    if (auto it = memo.find(n.get()); it != memo.end()) return it->second;
    int64_t c = pred(*n) ? 1 : 0;
    for (const Expr& a : n->args) c = std::min<int64_t>(c + count(a), int64_t{1} << 40);  // saturate
    memo.emplace(n.get(), c);
    return c;
  };
  return count(e);
}

Expr substituteVars(const Expr& e, const std::vector<Expr>& vars) {
  return rewrite(e, [&](const Expr& n) -> Expr {
    if (n->op == EOp::Var && static_cast<size_t>(n->i) < vars.size()) return vars[n->i];
    return nullptr;
  });
}

}  // namespace kiln::plan
