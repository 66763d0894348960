#include "kernel_writer.h"

#include <limits>

#include "expr_writer.h"
#include "kernel_frame.h"

namespace kiln::cuda {

namespace {

// An accumulating kernel that stores float32 values at its domain points can run as two
// launches: the kernel itself, one thread per point (fully parallel), then the partial sums
// over the values it stored, re-read. The sums are those of exactly the stored values, as
// the plan defines them; only the summing pass is serial per partial.
bool splitsAccumulate(const Program& p, const Kernel& k) {
  return k.out >= 0 && k.store.empty() && k.value && k.value->type == EType::F32 &&
         p.buffers[static_cast<size_t>(k.out)].dtype == DType::F32;
}

}  // namespace

std::vector<int> writtenRoots(const Program& p, const Kernel& k) {
  std::vector<int> w;
  if (k.out >= 0) w.push_back(p.root(k.out));
  if (k.moments) w.push_back(p.root(k.moments->buf));
  return w;
}

void writeElement(const Program& p, const Kernel& k, ExprWriter& ex, CodeWriter& w, const ValueSink* sink) {
  const size_t rank = k.domain.size();
  if (k.reduce) {
    const plan::Reduction& r = *k.reduce;
    const bool isMax = r.kind == ReduceKind::Max;
    ex.acc = ex.fresh("acc");
    const EType t = r.body->type;
    // Integer reductions (ReduceSum of int64) start from 0 / INT64_MIN.
    const std::string init = t == EType::I64 ? intLiteral(isMax ? std::numeric_limits<int64_t>::min() : 0)
                                             : floatLiteral(isMax ? -std::numeric_limits<double>::infinity() : 0.0, t);
    w.line(std::string(exprCType(t)) + " " + ex.acc + " = " + init + ";");
    for (size_t d = 0; d < r.extents.size(); ++d) {
      const std::string v = "v" + std::to_string(rank + d);
      ex.vars[rank + d] = v;
      w.open("for (i64 " + v + " = 0; " + v + " < " + ex.poly(r.extents[d]) + "; ++" + v + ")");
      ex.pushScope();
    }
    const std::string b = ex.emit(r.body);
    if (isMax) w.line(ex.acc + " = " + ex.acc + " < " + b + " ? " + b + " : " + ex.acc + ";");
    else w.line(ex.acc + " += " + b + ";");
    for (size_t d = 0; d < r.extents.size(); ++d) {
      ex.popScope();
      w.close();
    }
  }
  const std::string v = ex.emit(k.value);
  if (k.out >= 0) ex.store(k.out, k.store.empty() ? plan::vars(rank) : k.store, v, k.value->type);
  if (sink) (*sink)(ex, w, v);
}

Launch writeGeneric(const Program& p, const Kernel& k, const std::string& name, const CudaOptions& o,
                    bool errorWord, CodeWriter& out) {
  CodeWriter body(1);
  ExprWriter ex(p, body);
  const size_t rank = k.domain.size();
  ex.vars.assign(rank + (k.reduce ? k.reduce->extents.size() : 0), "");
  const Poly total = plan::product(k.domain);
  body.open(gridStrideLoop("kiln_i", ex.poly(total)));
  ex.pushScope();
  unravel(ex, body, "kiln_i", k.domain, 0);
  writeElement(p, k, ex, body, nullptr);
  ex.popScope();
  body.close();
  const KernelFrame frame(p, plan::rootBuffersOf(p, k), writtenRoots(p, k), errorWord);
  return frame.write(out, name, k.name, plan::size(total), o.blockSize, ex, body);
}

void writeKernel(const Program& p, const Kernel& k, int index, const CudaOptions& o, CodeWriter& out, LaunchPlan& lp) {
  const bool errorWord = lp.usesErrorWord;
  for (size_t c = 0; c < k.checks.size(); ++c) {
    lp.checkMessages.push_back(k.checks[c].message);
    lp.launches.push_back(writeRangeCheck(p, k.checks[c], static_cast<unsigned>(lp.checkMessages.size()),
                                          functionName(k, index, "check" + std::to_string(c)), k.name, o, out));
  }
  Kernel body = k;  // the kernel without its checks (they are launches of their own)
  body.checks.clear();
  const std::string name = functionName(k, index);
  // The values of a kernel without moments: tiled when it is a GEMM that fits, else generic.
  auto compute = [&](const Kernel& c, const std::string& fn) {
    if (c.kind == KernelKind::Gemm && o.tiledGemm && !c.moments)
      if (std::optional<Launch> l = writeTiledGemm(p, c, fn, o, errorWord, out)) return std::move(*l);
    return writeGeneric(p, c, fn, o, errorWord, out);
  };
  if (!k.moments) {
    lp.launches.push_back(compute(body, name));
  } else if (k.moments->step == MomentSums::Step::Finalize) {
    lp.launches.push_back(writeFinalize(p, body, name, o, errorWord, out));
  } else if (splitsAccumulate(p, k)) {
    Kernel values = body;
    values.moments.reset();
    Kernel sums = body;
    sums.kind = KernelKind::Generic;
    sums.reduce.reset();
    sums.value = plan::load(k.out, plan::valueType(p.buffers[static_cast<size_t>(k.out)].dtype), plan::vars(k.domain.size()));
    sums.out = -1;
    sums.interior = nullptr;
    lp.launches.push_back(compute(values, name));
    lp.launches.push_back(writePartialSums(p, sums, name + "_sums", o, errorWord, out));
  } else {
    lp.launches.push_back(writePartialSums(p, body, name, o, errorWord, out));
  }
}

}  // namespace kiln::cuda
