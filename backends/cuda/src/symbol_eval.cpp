#include "symbol_eval.h"

#include "kiln/support/error.h"

namespace kiln::cuda {

namespace {

int64_t floorDiv(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return a % b < 0 ? q - 1 : q;
}

[[noreturn]] void overflow() {
  throw Error(ErrorCode::InvalidInput, "a size computed from the input dims does not fit in 64 bits");
}

}  // namespace

int64_t evaluateSymbolic(const Expr& e, std::span<const int64_t> s) {
  auto arg = [&](size_t i) { return evaluateSymbolic(e->args.at(i), s); };
  auto divisor = [&](size_t i) {
    const int64_t d = arg(i);
    if (d == 0) throw Error(ErrorCode::Internal, "cuda backend: division by zero in a size expression");
    return d;
  };
  switch (e->op) {
    case EOp::ConstI: return e->i;
    case EOp::Size: return e->size.evaluate(s);
    case EOp::Neg: return -arg(0);
    case EOp::Abs: { const int64_t a = arg(0); return a < 0 ? -a : a; }
    case EOp::Add: { int64_t r = 0; if (__builtin_add_overflow(arg(0), arg(1), &r)) overflow(); return r; }
    case EOp::Sub: { int64_t r = 0; if (__builtin_sub_overflow(arg(0), arg(1), &r)) overflow(); return r; }
    case EOp::Mul: { int64_t r = 0; if (__builtin_mul_overflow(arg(0), arg(1), &r)) overflow(); return r; }
    case EOp::Div: { const int64_t d = divisor(1); return arg(0) / d; }
    case EOp::FloorDiv: { const int64_t d = divisor(1); return floorDiv(arg(0), d); }
    case EOp::Mod: { const int64_t a = arg(0), d = divisor(1); return a - floorDiv(a, d) * d; }
    case EOp::Min: { const int64_t a = arg(0), b = arg(1); return b < a ? b : a; }
    case EOp::Max: { const int64_t a = arg(0), b = arg(1); return a < b ? b : a; }
    case EOp::Lt: return arg(0) < arg(1);
    case EOp::Le: return arg(0) <= arg(1);
    case EOp::Eq: return arg(0) == arg(1);
    case EOp::And: return arg(0) != 0 && arg(1) != 0;
    case EOp::Or: return arg(0) != 0 || arg(1) != 0;
    case EOp::Not: return arg(0) == 0;
    case EOp::Select: return arg(0) != 0 ? arg(1) : arg(2);
    case EOp::Cast:
      if (!plan::isFloatE(e->args.at(0)->type)) return e->type == EType::Bool ? arg(0) != 0 : arg(0);
      break;
    default: break;
  }
  throw Error(ErrorCode::Internal, "cuda backend: a launch-plan size reads more than the symbols");
}

}  // namespace kiln::cuda
