#include "kiln/plan/print.h"

#include <sstream>

namespace kiln::plan {

namespace {

const char* opName(EOp op) {
  switch (op) {
    case EOp::Neg: return "neg"; case EOp::Abs: return "abs"; case EOp::Sqrt: return "sqrt";
    case EOp::Exp: return "exp"; case EOp::Log: return "log"; case EOp::Tanh: return "tanh";
    case EOp::Sigmoid: return "sigmoid"; case EOp::Recip: return "recip"; case EOp::Add: return "+";
    case EOp::Sub: return "-"; case EOp::Mul: return "*"; case EOp::Div: return "/";
    case EOp::Pow: return "pow"; case EOp::Min: return "min"; case EOp::Max: return "max";
    case EOp::FloorDiv: return "//"; case EOp::Mod: return "%"; case EOp::Lt: return "<";
    case EOp::Le: return "<="; case EOp::Eq: return "=="; case EOp::And: return "&&";
    case EOp::Or: return "||"; case EOp::Not: return "!"; case EOp::Cast: return "cast";
    default: return "?";
  }
}

std::string shapeStr(const Program& p, const std::vector<Poly>& s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); ++i) r += (i ? "," : "") + s[i].str(p.symbols);
  return r + "]";
}

const char* kindName(BufferKind k) {
  switch (k) {
    case BufferKind::Input: return "input";
    case BufferKind::Output: return "output";
    case BufferKind::Constant: return "const";
    case BufferKind::Temp: return "temp";
    case BufferKind::Alias: return "alias";
  }
  return "?";
}

}  // namespace

std::string describeExpr(const Program& p, const Expr& e) {
  if (!e) return "null";
  switch (e->op) {
    case EOp::ConstF: return std::to_string(e->f);
    case EOp::ConstI: return std::to_string(e->i);
    case EOp::Size: return e->size.str(p.symbols);
    case EOp::Var: return "v" + std::to_string(e->i);
    case EOp::Acc: return "acc";
    case EOp::Load: {
      std::string r = "b" + std::to_string(e->i) + "[";
      for (size_t i = 0; i < e->args.size(); ++i) r += (i ? "," : "") + describeExpr(p, e->args[i]);
      return r + "]";
    }
    case EOp::Select:
      return "(" + describeExpr(p, e->args[0]) + " ? " + describeExpr(p, e->args[1]) + " : " +
             describeExpr(p, e->args[2]) + ")";
    default: break;
  }
  if (e->args.size() == 1) return std::string(opName(e->op)) + "(" + describeExpr(p, e->args[0]) + ")";
  return "(" + describeExpr(p, e->args[0]) + " " + opName(e->op) + " " + describeExpr(p, e->args[1]) + ")";
}

std::string describeProgram(const Program& p) {
  std::ostringstream os;
  os << "program " << p.name << " symbols:";
  for (const std::string& s : p.symbols) os << " " << s;
  os << "\n";
  for (size_t b = 0; b < p.buffers.size(); ++b) {
    const Buffer& B = p.buffers[b];
    os << "  b" << b << " " << kindName(B.kind) << " " << B.name << " " << dtypeName(B.dtype) << shapeStr(p, B.shape);
    if (B.kind == BufferKind::Alias) os << " of b" << B.aliasOf;
    if (B.kind == BufferKind::Input || B.kind == BufferKind::Output) os << " #" << B.index;
    if (B.offset) os << " @" << describeExpr(p, B.offset);
    os << "\n";
  }
  for (size_t k = 0; k < p.kernels.size(); ++k) {
    const Kernel& K = p.kernels[k];
    for (const RangeCheck& c : K.checks)
      os << "  check b" << c.buf << " in [" << c.lo.str(p.symbols) << ", " << c.hi.str(p.symbols) << "]"
         << (c.nonZero ? ", != 0" : "") << "\n";
    os << "  k" << k << " " << K.name << ": " << shapeStr(p, K.domain);
    if (K.reduce)
      os << " " << (K.reduce->kind == ReduceKind::Sum ? "sum" : "max") << shapeStr(p, K.reduce->extents)
         << " of " << describeExpr(p, K.reduce->body);
    const MomentSums* m = K.moments ? &*K.moments : nullptr;
    if (m && m->step == MomentSums::Step::Finalize) {
      os << "\n      b" << K.out << " = mean, M2 of " << m->count.str(p.symbols) << " elements from b" << m->buf
         << "[q < " << describeExpr(p, m->partials) << "]\n";
      continue;
    }
    os << "\n      ";
    if (K.out >= 0) {
      os << "b" << K.out;
      if (!K.store.empty()) {
        os << "[";
        for (size_t i = 0; i < K.store.size(); ++i) os << (i ? "," : "") << describeExpr(p, K.store[i]);
        os << "]";
      }
      os << " = ";
    }
    os << describeExpr(p, K.value) << "\n";
    if (m)
      os << "      b" << m->buf << "[q][" << describeExpr(p, m->group) << "] += that, its square (q < "
         << describeExpr(p, m->partials) << ")\n";
  }
  if (p.workspaceBytes) os << "  workspace " << describeExpr(p, p.workspaceBytes) << " bytes\n";
  return os.str();
}

}  // namespace kiln::plan
