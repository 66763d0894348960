// Batch statistics (MomentSums, plan/kernel_plan.h) as CUDA kernels.
//
// Accumulate: one work item per partial q (at most Program::maxPartials). It clears its slots
// buf[q][0..1][0..groups), then adds, in double and in row order, every value of its chunk
// [q*T/P, (q+1)*T/P) of the T natural iterations (the rows of the outer dims, as on the CPU).
// Each slot has one writer: no atomics, and the sums do not depend on the grid.
// Finalize: one work item per group adds the partials in index order and writes
// mean = S1 / count and M2 = max(S2 - S1 * mean, 0), the product and difference rounded
// separately (no contraction into an FMA), as the plan states them.
#include "expr_writer.h"
#include "kernel_frame.h"
#include "kernel_writer.h"

namespace kiln::cuda {

namespace {

// Iterations of the plan's chunking: the flattened outer dims (all but the innermost, or the
// only one).
Poly naturalIterations(const Kernel& k) {
  const std::span<const Poly> d(k.domain);
  if (d.empty()) return Poly(1);
  return plan::product(d.size() == 1 ? d : d.first(d.size() - 1));
}

}  // namespace

Launch writePartialSums(const Program& p, const Kernel& k, const std::string& name, const CudaOptions& o,
                        bool errorWord, CodeWriter& out) {
  const MomentSums& m = *k.moments;
  CodeWriter body(1);
  ExprWriter ex(p, body);
  const size_t rank = k.domain.size();
  ex.vars.assign(rank + (k.reduce ? k.reduce->extents.size() : 0), "");
  const std::string total = ex.poly(naturalIterations(k));
  const std::string groups = ex.poly(p.buffers[static_cast<size_t>(m.buf)].shape[2]);
  const std::string partials = ex.emit(m.partials);
  body.open(gridStrideLoop("kiln_q", partials));
  ex.pushScope();
  body.line("double* const kiln_slot = " + bufferParam(p.root(m.buf)) + " + kiln_q * (2LL * " + groups + ");");
  body.line("for (i64 kiln_j = 0; kiln_j < 2LL * " + groups + "; ++kiln_j) kiln_slot[kiln_j] = 0.0;");
  body.line("const i64 kiln_lo = kiln_q * " + total + " / " + partials + ";");
  body.line("const i64 kiln_hi = (kiln_q + 1LL) * " + total + " / " + partials + ";");
  body.open("for (i64 kiln_row = kiln_lo; kiln_row < kiln_hi; ++kiln_row)");
  ex.pushScope();
  const bool inner = rank >= 2;
  const std::vector<Poly> outer(k.domain.begin(), k.domain.end() - (inner ? 1 : 0));
  unravel(ex, body, "kiln_row", outer, 0);
  if (inner) {
    const std::string v = "v" + std::to_string(rank - 1);
    ex.vars[rank - 1] = v;
    body.open("for (i64 " + v + " = 0; " + v + " < " + ex.poly(k.domain.back()) + "; ++" + v + ")");
    ex.pushScope();
  }
  const ValueSink sink = [&](ExprWriter& e, CodeWriter& w, const std::string& value) {
    const std::string g = e.emit(m.group);
    const std::string x = e.fresh("x");
    w.line("const double " + x + " = (double)" + value + ";");
    w.line("kiln_slot[" + g + "] += " + x + ";");
    w.line("kiln_slot[" + groups + " + " + g + "] += " + x + " * " + x + ";");
  };
  writeElement(p, k, ex, body, &sink);
  if (inner) {
    ex.popScope();
    body.close();
  }
  ex.popScope();
  body.close();
  ex.popScope();
  body.close();
  const KernelFrame frame(p, plan::rootBuffersOf(p, k), writtenRoots(p, k), errorWord);
  return frame.write(out, name, k.name, m.partials, o.blockSize, ex, body);
}

Launch writeFinalize(const Program& p, const Kernel& k, const std::string& name, const CudaOptions& o,
                     bool errorWord, CodeWriter& out) {
  const MomentSums& m = *k.moments;
  CodeWriter body(1);
  ExprWriter ex(p, body);
  ex.vars.assign(1, "");
  const std::string groups = ex.poly(p.buffers[static_cast<size_t>(m.buf)].shape[2]);
  const std::string partials = ex.emit(m.partials);
  const std::string sums = bufferParam(p.root(m.buf));
  body.line("const double kiln_count = (double)" + ex.poly(m.count) + ";");
  body.open(gridStrideLoop("v0", groups));
  ex.pushScope();
  ex.vars[0] = "v0";
  // Local names stay clear of the parameters' (b<N>, s<N>: "s1" may be a symbol).
  body.line("double kiln_s1 = 0.0, kiln_s2 = 0.0;");
  body.open("for (i64 kiln_q = 0; kiln_q < " + partials + "; ++kiln_q)");
  body.line("const double* const kiln_at = " + sums + " + kiln_q * (2LL * " + groups + ") + v0;");
  body.line("kiln_s1 += kiln_at[0];");
  body.line("kiln_s2 += kiln_at[" + groups + "];");
  body.close();
  body.line("const double kiln_mean = kiln_s1 / kiln_count;");
  body.line("const double kiln_m2 = fmax(__dsub_rn(kiln_s2, __dmul_rn(kiln_s1, kiln_mean)), 0.0);");
  ex.store(k.out, {plan::constI(0), plan::var(0)}, "kiln_mean", EType::F64);  // rounded to the moments' type
  ex.store(k.out, {plan::constI(1), plan::var(0)}, "kiln_m2", EType::F64);
  ex.popScope();
  body.close();
  const KernelFrame frame(p, plan::rootBuffersOf(p, k), writtenRoots(p, k), errorWord);
  return frame.write(out, name, k.name, plan::size(k.domain.at(0)), o.blockSize, ex, body);
}

}  // namespace kiln::cuda
