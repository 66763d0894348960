// Range checks (RangeCheck, plan/kernel_plan.h) as kernels of their own, run before the kernel
// they guard: every element of the integer buffer must lie in [lo, hi] (and differ from 0 for a
// divisor, `nonZero`). Where they run is this
// backend's choice: on the device, in parallel, recording the first failing check (in launch
// order) in an error word; every later kernel returns at once, and the host reports the
// check's message after the run.
#include "expr_writer.h"
#include "kernel_frame.h"
#include "kernel_writer.h"

namespace kiln::cuda {

Launch writeRangeCheck(const Program& p, const RangeCheck& c, unsigned id, const std::string& name,
                       const std::string& kernel, const CudaOptions& o, CodeWriter& out) {
  CodeWriter body(1);
  ExprWriter ex(p, body);
  ex.vars.assign(1, "");
  const Poly n = plan::product(p.buffers[static_cast<size_t>(c.buf)].shape);
  const std::string lo = ex.poly(c.lo), hi = ex.poly(c.hi);
  body.open(gridStrideLoop("v0", ex.poly(n)));
  ex.pushScope();
  ex.vars[0] = "v0";
  body.line("const i64 x = " + ex.loadValue(c.buf, {plan::var(0)}) + ";");
  const std::string zero = c.nonZero ? " || x == 0LL" : "";
  body.line("if (x < " + lo + " || x > " + hi + zero + ") atomicCAS(kiln_err, 0u, " + std::to_string(id) + "u);");
  ex.popScope();
  body.close();
  const KernelFrame frame(p, {p.root(c.buf)}, {}, true);
  return frame.write(out, name, kernel + " (range check)", plan::size(n), o.blockSize, ex, body);
}

}  // namespace kiln::cuda
