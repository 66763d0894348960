#pragma once
/// Element expressions of the kernel plan: what one output element of a kernel is, as a tree
/// over loop variables, symbolic sizes and loads from buffers. Values are float32, float64,
/// int64 or bool; builders fold integer constants so index arithmetic stays small.
#include <functional>
#include <memory>
#include <vector>

#include "kiln/ir/dtype.h"
#include "kiln/plan/poly.h"

namespace kiln::plan {

enum class EType : uint8_t { F32, F64, I64, Bool };

inline bool isFloatE(EType t) { return t == EType::F32 || t == EType::F64; }
/// The value type of an element of a buffer of type `t`: floats keep their width (a float64
/// model computes in double), integers and bool widen to int64.
inline EType valueType(DType t) {
  return t == DType::F64 ? EType::F64 : t == DType::F32 ? EType::F32 : EType::I64;
}

/// Expression operators. Binary arithmetic works on operands of one type (F32, F64 or I64);
/// an F32 operand beside an F64 one is widened by the builders (float constants are stored
/// as double, so a widened constant is the literal's double); FloorDiv/Mod are integer-only
/// (floored, divisor > 0); comparisons yield Bool.
enum class EOp : uint8_t {
  ConstF, ConstI, Size, Var, Load, Acc,
  Neg, Abs, Sqrt, Exp, Log, Tanh, Sigmoid, Recip,
  Add, Sub, Mul, Div, Pow, Min, Max, FloorDiv, Mod,
  Lt, Le, Eq, And, Or, Not,
  Select, Cast,
};

struct ExprNode;
using Expr = std::shared_ptr<const ExprNode>;

struct ExprNode {
  EOp op;
  EType type;
  double f = 0;       ///< ConstF (its type says whether it is used as float or double)
  int64_t i = 0;      ///< ConstI; Var: variable id; Load: buffer id
  Poly size;          ///< Size
  std::vector<Expr> args;  ///< operands; Load: one index per buffer dim
};

// ---- leaves
Expr constF(double v);
Expr constI(int64_t v);
/// A symbolic size as an int64 value (constant when the Poly is).
Expr size(const Poly& p);
Expr var(int id);
/// Variables first .. first+n-1 (e.g. a kernel's domain variables).
std::vector<Expr> vars(size_t n, int first = 0);
/// Element of buffer `buf` at a multi-dimensional index (one I64 expr per dim).
Expr load(int buf, EType type, std::vector<Expr> index);
/// The reduction accumulator of type `t` (the type of the reduction's body; only in a
/// kernel's value expression).
Expr acc(EType t);

// ---- operators (integer constants fold; x+0, x*1, x*0 simplify)
Expr unary(EOp op, Expr a);
Expr binary(EOp op, Expr a, Expr b);
Expr add(Expr a, Expr b);
Expr sub(Expr a, Expr b);
Expr mul(Expr a, Expr b);
Expr div(Expr a, Expr b);
Expr floorDiv(Expr a, Expr b);
Expr mod(Expr a, Expr b);
Expr minE(Expr a, Expr b);  ///< b < a ? b : a (std::min)
Expr maxE(Expr a, Expr b);  ///< a < b ? b : a (std::max)
Expr lt(Expr a, Expr b);
Expr le(Expr a, Expr b);
Expr eq(Expr a, Expr b);
Expr land(Expr a, Expr b);
Expr select(Expr c, Expr a, Expr b);
Expr cast(EType to, Expr a);
/// 0 <= a < n.
Expr inRange(Expr a, Expr n);

bool isConstI(const Expr& e, int64_t v);
/// True when `e` contains a Load (such subtrees are evaluated lazily under Select).
bool hasLoad(const Expr& e);
/// Rebuilds `e` bottom-up, replacing every node for which `f` returns non-null. Shared
/// subtrees stay shared: `f` sees each distinct node once and its result is reused.
Expr rewrite(const Expr& e, const std::function<Expr(const Expr&)>& f);
/// Calls f on every distinct node once (pre-order), however often the DAG shares it.
void visit(const Expr& e, const std::function<void(const Expr&)>& f);
/// Number of references to nodes satisfying `pred` in the tree `e` unfolds to (a node shared
/// twice counts twice), computed over the DAG; saturates at 2^40.
int64_t countReferences(const Expr& e, const std::function<bool(const ExprNode&)>& pred);
/// Replaces Var(i) by vars[i] (ids beyond vars.size() stay).
Expr substituteVars(const Expr& e, const std::vector<Expr>& vars);

}  // namespace kiln::plan
