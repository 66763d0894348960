#pragma once
/// Plan expressions (plan/expr.h) as CUDA C++ statements: the one emitter every kernel form
/// uses, a switch over EOp. Each non-trivial node becomes a `const T tN = ...;` line, emitted
/// once per scope however often the DAG shares it; values that depend on the symbols only
/// (sizes, strides) are hoisted into the kernel's prologue.
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "code_writer.h"
#include "plan_types.h"

namespace kiln::cuda {

/// C name of the pointer parameter of root buffer `b` ("b7") and of symbol `s` ("s0").
std::string bufferParam(int b);
std::string symbolParam(int s);
/// C type of an expression type.
const char* exprCType(EType t);

class ExprWriter {
 public:
  /// Writes statements into `body`; `prog` gives buffer dtypes, shapes and alias roots.
  ExprWriter(const Program& prog, CodeWriter& body) : prog_(prog), w_(body) { scopes_.emplace_back(); }

  /// The value of `e` (a variable name or a literal), emitting what it needs.
  std::string emit(const Expr& e);
  /// A symbolic size: a literal, a symbol parameter or a hoisted prologue value.
  std::string poly(const Poly& p);
  /// `bR[flat]`: element `index` of buffer `buf` (one index per dim, or one flat index).
  std::string element(int buf, const std::vector<Expr>& index);
  /// Converts `v` of type `t` to the buffer's element type and stores it at `index`.
  void store(int buf, const std::vector<Expr>& index, const std::string& v, EType t);
  /// The buffer's element in device memory converted to the plan's type of its loads.
  std::string loadValue(int buf, const std::vector<Expr>& index);
  /// A fresh C name with `prefix`.
  std::string fresh(const char* prefix) { return prefix + std::to_string(counter_++); }

  /// Scopes follow the C blocks: values emitted inside one are not reused after popScope.
  void pushScope() { scopes_.emplace_back(); }
  void popScope() { scopes_.pop_back(); }

  /// The hoisted symbol-only lines, to be written before the body.
  const std::vector<std::string>& prologue() const { return prologue_; }

  std::vector<std::string> vars;  ///< C names of the loop variables by id
  std::string acc;                ///< C name of the reduction accumulator

 private:
  struct Scope {
    std::unordered_map<const ExprNode*, std::string> names;
    std::vector<Expr> keep;  ///< holds the nodes so their addresses stay unique while memoised
  };
  const Program& prog_;
  CodeWriter& w_;
  std::vector<Scope> scopes_;
  std::vector<std::pair<Poly, std::string>> polys_;
  std::vector<std::string> prologue_;
  int counter_ = 0;

  std::string emitNode(const Expr& e);
  std::string emitSelect(const Expr& e);
  bool emitted(const Expr& e) const;
  bool loadsAnew(const Expr& e) const;
  std::string bind(EType t, const std::string& value);
  std::string unary(EOp op, const std::string& a, EType t) const;
  std::string binary(EOp op, const std::string& a, const std::string& b, EType t) const;
};

/// `a` of type `from` converted to `to` with the plan's Cast semantics (float -> int
/// saturating, NaN -> 0; to bool: != 0, NaN -> true).
std::string castValue(const std::string& a, EType from, EType to);

}  // namespace kiln::cuda
