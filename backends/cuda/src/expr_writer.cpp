#include "expr_writer.h"

#include <algorithm>
#include <cmath>
#include <functional>

#include "kiln/support/error.h"

namespace kiln::cuda {

std::string bufferParam(int b) { return "b" + std::to_string(b); }
std::string symbolParam(int s) { return "s" + std::to_string(s); }

const char* exprCType(EType t) {
  switch (t) {
    case EType::F32: return "float";
    case EType::F64: return "double";
    case EType::I64: return "i64";
    case EType::Bool: return "bool";
  }
  return "float";
}

std::string castValue(const std::string& a, EType from, EType to) {
  if (from == to) return a;
  switch (to) {
    case EType::F32: return from == EType::Bool ? "(" + a + " ? 1.0f : 0.0f)" : "(float)" + a;
    case EType::F64: return from == EType::Bool ? "(" + a + " ? 1.0 : 0.0)" : "(double)" + a;
    case EType::I64: return from == EType::Bool ? "(" + a + " ? 1LL : 0LL)" : "kiln_f2i(" + a + ")";
    case EType::Bool: return plan::isFloatE(from) ? "(" + a + " != 0.0)" : "(" + a + " != 0LL)";
  }
  return a;
}

std::string ExprWriter::poly(const Poly& p) {
  if (p.isConst()) return intLiteral(p.constValue());
  if (p.terms().size() == 1) {
    const auto& [mono, coef] = *p.terms().begin();
    if (coef == 1 && mono.size() == 1) return symbolParam(mono[0]);
  }
  for (const auto& [q, name] : polys_)
    if (q == p) return name;
  std::string sum;
  for (const auto& [mono, coef] : p.terms()) {
    std::string term = intLiteral(coef);
    for (int s : mono) term += " * " + symbolParam(s);
    sum += (sum.empty() ? "" : " + ") + term;
  }
  const std::string name = "p" + std::to_string(polys_.size());
  prologue_.push_back("const i64 " + name + " = " + sum + ";");
  polys_.emplace_back(p, name);
  return name;
}

std::string ExprWriter::element(int buf, const std::vector<Expr>& index) {
  const Buffer& B = prog_.buffers[static_cast<size_t>(buf)];
  std::string flat;
  if (index.size() == B.shape.size()) {
    const std::vector<Poly> strides = plan::stridesOf(B.shape);
    for (size_t d = 0; d < index.size(); ++d) {
      if (plan::isConstI(index[d], 0)) continue;
      const std::string i = emit(index[d]);
      const std::string term = strides[d] == Poly(1) ? i : i + " * " + poly(strides[d]);
      flat += (flat.empty() ? "" : " + ") + term;
    }
  } else if (index.size() == 1) {
    flat = emit(index[0]);  // a flat element index
  }
  return bufferParam(prog_.root(buf)) + "[" + (flat.empty() ? "0" : flat) + "]";
}

std::string ExprWriter::loadValue(int buf, const std::vector<Expr>& index) {
  const std::string v = element(buf, index);
  switch (prog_.buffers[static_cast<size_t>(buf)].dtype) {
    case DType::F32:
    case DType::F64:
    case DType::I64: return v;
    default: return "(i64)" + v;  // signed types sign-extend, unsigned char zero-extends
  }
}

void ExprWriter::store(int buf, const std::vector<Expr>& index, const std::string& value, EType t) {
  const DType dt = prog_.buffers[static_cast<size_t>(buf)].dtype;
  std::string v = value;
  if (t == EType::Bool) v = "(" + v + " ? 1LL : 0LL)", t = EType::I64;
  if (dt == DType::Bool) v = "(unsigned char)(" + v + (plan::isFloatE(t) ? " != 0.0)" : " != 0LL)");
  else if (t == EType::F32 && dt == DType::F64) v = "(double)" + v;
  else if (t == EType::F64 && dt == DType::F32) v = "(float)" + v;
  else if (plan::isFloatE(t) && !isFloat(dt)) v = "(" + std::string(elementCType(dt)) + ")kiln_f2i(" + v + ")";
  else if (t == EType::I64 && dt != DType::I64) v = "(" + std::string(elementCType(dt)) + ")" + v;
  w_.line(element(buf, index) + " = " + v + ";");
}

std::string ExprWriter::emit(const Expr& e) {
  for (auto it = scopes_.rbegin(); it != scopes_.rend(); ++it) {
    auto found = it->names.find(e.get());
    if (found != it->names.end()) return found->second;
  }
  std::string v = emitNode(e);
  scopes_.back().names.emplace(e.get(), v);
  scopes_.back().keep.push_back(e);
  return v;
}

std::string ExprWriter::bind(EType t, const std::string& value) {
  const std::string name = fresh("t");
  w_.line("const " + std::string(exprCType(t)) + " " + name + " = " + value + ";");
  return name;
}

std::string ExprWriter::emitNode(const Expr& e) {
  switch (e->op) {
    case EOp::ConstF: return floatLiteral(e->f, e->type);
    case EOp::ConstI: return intLiteral(e->i);
    case EOp::Size: return poly(e->size);
    case EOp::Var:
      if (static_cast<size_t>(e->i) >= vars.size() || vars[static_cast<size_t>(e->i)].empty())
        throw Error(ErrorCode::Internal, "cuda backend: loop variable " + std::to_string(e->i) + " is not in scope");
      return vars[static_cast<size_t>(e->i)];
    case EOp::Acc: return acc;
    case EOp::Load: {
      const int buf = static_cast<int>(e->i);
      const EType natural = plan::valueType(prog_.buffers[static_cast<size_t>(buf)].dtype);
      return bind(e->type, castValue(loadValue(buf, e->args), natural, e->type));
    }
    case EOp::Select: return emitSelect(e);
    case EOp::Cast: return bind(e->type, castValue(emit(e->args[0]), e->args[0]->type, e->type));
    case EOp::Neg: case EOp::Abs: case EOp::Sqrt: case EOp::Exp: case EOp::Log: case EOp::Tanh:
    case EOp::Sigmoid: case EOp::Recip: case EOp::Not:
      return bind(e->type, unary(e->op, emit(e->args[0]), e->args[0]->type));
    case EOp::Add: case EOp::Sub: case EOp::Mul: case EOp::Div: case EOp::Pow: case EOp::Min:
    case EOp::Max: case EOp::FloorDiv: case EOp::Mod: case EOp::Lt: case EOp::Le: case EOp::Eq:
    case EOp::And: case EOp::Or: {
      const std::string a = emit(e->args[0]);
      const std::string b = emit(e->args[1]);
      return bind(e->type, binary(e->op, a, b, e->args[0]->type));
    }
  }
  throw Error(ErrorCode::Internal, "cuda backend: unknown expression operator");
}

namespace {

// Leaves compare by value (the plan builds constF(0) afresh at every use), the rest by node.
bool sameExpr(const Expr& a, const Expr& b) {
  if (a == b) return true;
  if (a->op != b->op || a->type != b->type) return false;
  if (a->op == EOp::ConstF) return a->f == b->f && std::signbit(a->f) == std::signbit(b->f);
  if (a->op == EOp::ConstI) return a->i == b->i;
  return false;
}

}  // namespace

bool ExprWriter::emitted(const Expr& e) const {
  for (auto it = scopes_.rbegin(); it != scopes_.rend(); ++it)
    if (it->names.count(e.get())) return true;
  return false;
}

// True when evaluating `e` here would load memory not loaded yet in this scope.
bool ExprWriter::loadsAnew(const Expr& e) const {
  std::vector<const ExprNode*> seen;
  std::function<bool(const Expr&)> walk = [&](const Expr& x) {
    if (emitted(x) || std::find(seen.begin(), seen.end(), x.get()) != seen.end()) return false;
    seen.push_back(x.get());
    if (x->op == EOp::Load) return true;
    for (const Expr& a : x->args)
      if (walk(a)) return true;
    return false;
  };
  return plan::hasLoad(e) && walk(e);
}

// select(a < b, b, a) is exactly the plan's max(a, b) = a < b ? b : a (Relu, Clip's lower
// bound), NaN behaviour included.
// An arm that loads memory runs only when chosen: the guard of a padded tap protects an
// out-of-bounds address. Arms without new loads are evaluated eagerly (a select).
std::string ExprWriter::emitSelect(const Expr& e) {
  const Expr& c = e->args[0];
  if (c->op == EOp::Lt && plan::isFloatE(c->args[0]->type) && sameExpr(c->args[1], e->args[1]) &&
      sameExpr(c->args[0], e->args[2])) {
    const std::string a = emit(c->args[0]);
    return bind(e->type, "kiln_maxf(" + a + ", " + emit(c->args[1]) + ")");
  }
  const std::string cond = emit(c);
  if (!loadsAnew(e->args[1]) && !loadsAnew(e->args[2])) {
    const std::string a = emit(e->args[1]);
    const std::string b = emit(e->args[2]);
    return bind(e->type, "(" + cond + " ? " + a + " : " + b + ")");
  }
  const std::string name = fresh("t");
  w_.line(std::string(exprCType(e->type)) + " " + name + ";");
  auto arm = [&](const Expr& x) {
    pushScope();
    w_.line(name + " = " + emit(x) + ";");
    popScope();
  };
  w_.open("if (" + cond + ")");
  arm(e->args[1]);
  w_.close();
  w_.open("else");
  arm(e->args[2]);
  w_.close();
  return name;
}

std::string ExprWriter::unary(EOp op, const std::string& a, EType t) const {
  const bool d = t == EType::F64;  // float64 takes the double functions
  auto fn = [&](const char* name) { return std::string(name) + (d ? "(" : "f(") + a + ")"; };
  switch (op) {
    case EOp::Neg: return "(-" + a + ")";
    case EOp::Abs: return plan::isFloatE(t) ? fn("fabs") : "kiln_absi(" + a + ")";
    case EOp::Sqrt: return fn("sqrt");
    case EOp::Exp: return fn("exp");
    case EOp::Log: return fn("log");
    case EOp::Tanh: return fn("tanh");
    case EOp::Sigmoid: return "kiln_sigmoid(" + a + ")";
    case EOp::Recip: return (d ? "(1.0 / " : "(1.0f / ") + a + ")";
    case EOp::Not: return "(!" + a + ")";
    default: break;
  }
  throw Error(ErrorCode::Internal, "cuda backend: not a unary operator");
}

std::string ExprWriter::binary(EOp op, const std::string& a, const std::string& b, EType t) const {
  const bool f = plan::isFloatE(t);
  auto infix = [&](const char* o) { return "(" + a + " " + o + " " + b + ")"; };
  auto call = [&](const char* fn) { return std::string(fn) + "(" + a + ", " + b + ")"; };
  switch (op) {
    case EOp::Add: return infix("+");
    case EOp::Sub: return infix("-");
    case EOp::Mul: return infix("*");
    case EOp::Div: return f ? infix("/") : call("kiln_divi");
    case EOp::Pow: return call(t == EType::F64 ? "pow" : f ? "powf" : "kiln_ipow");
    case EOp::Min: return call(f ? "kiln_minf" : "kiln_mini");
    case EOp::Max: return call(f ? "kiln_maxf" : "kiln_maxi");
    case EOp::FloorDiv: return call("kiln_floordiv");
    case EOp::Mod: return call("kiln_mod");
    case EOp::Lt: return infix("<");
    case EOp::Le: return infix("<=");
    case EOp::Eq: return infix("==");
    case EOp::And: return infix("&&");
    case EOp::Or: return infix("||");
    default: break;
  }
  throw Error(ErrorCode::Internal, "cuda backend: not a binary operator");
}

}  // namespace kiln::cuda
