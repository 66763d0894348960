#include "kernel_frame.h"

#include <algorithm>

namespace kiln::cuda {

std::string gridStrideLoop(const std::string& v, const std::string& total) {
  return "for (i64 " + v + " = (i64)blockIdx.x * blockDim.x + threadIdx.x; " + v + " < " + total + "; " + v +
         " += (i64)gridDim.x * blockDim.x)";
}

void unravel(ExprWriter& ex, CodeWriter& w, const std::string& flat, const std::vector<Poly>& extents, int first) {
  std::vector<int> ids;
  for (size_t d = 0; d < extents.size(); ++d) ids.push_back(first + static_cast<int>(d));
  unravel(ex, w, flat, extents, ids);
}

void unravel(ExprWriter& ex, CodeWriter& w, const std::string& flat, const std::vector<Poly>& extents,
             const std::vector<int>& ids) {
  const size_t n = extents.size();
  auto name = [&](size_t d) { return "v" + std::to_string(ids[d]); };
  for (size_t d = 0; d < n; ++d) ex.vars[static_cast<size_t>(ids[d])] = name(d);
  if (n == 0) return;
  if (n == 1) {
    w.line("const i64 " + name(0) + " = " + flat + ";");
    return;
  }
  const std::string rest = ex.fresh("rest");
  w.line("i64 " + rest + " = " + flat + ";");
  for (size_t d = n; d-- > 1;) {
    const std::string e = ex.poly(extents[d]);
    w.line("const i64 " + name(d) + " = " + rest + " % " + e + ";");
    w.line(rest + " /= " + e + ";");
  }
  w.line("const i64 " + name(0) + " = " + rest + ";");
}

std::string functionName(const Kernel& k, int index, const std::string& role) {
  return "k" + std::to_string(index) + "_" + identifier(k.name) + (role.empty() ? "" : "_" + role);
}

Launch KernelFrame::write(CodeWriter& out, const std::string& name, const std::string& kernel, const Expr& threads,
                          int block, const ExprWriter& ex, const CodeWriter& body) const {
  Launch l{name, kernel, threads, block, {}};
  std::string params;
  auto param = [&](const std::string& s) { params += (params.empty() ? "" : ", ") + s; };
  for (int r : roots_) {
    const bool written = std::find(written_.begin(), written_.end(), r) != written_.end();
    param(std::string(written ? "" : "const ") + elementCType(p_.buffers[static_cast<size_t>(r)].dtype) +
          "* __restrict__ " + bufferParam(r));
    l.args.push_back({KernelArg::Kind::Buffer, r});
  }
  for (size_t s = 0; s < p_.symbols.size(); ++s) {
    param("const i64 " + symbolParam(static_cast<int>(s)));
    l.args.push_back({KernelArg::Kind::Symbol, static_cast<int>(s)});
  }
  if (errorWord_) {
    param("unsigned int* __restrict__ kiln_err");
    l.args.push_back({KernelArg::Kind::ErrorWord});
  }
  out.line("// " + commentSafe(kernel));
  out.open("extern \"C\" __global__ void __launch_bounds__(" + std::to_string(block) + ") " + name + "(" + params + ")");
  if (errorWord_) out.line("if (*kiln_err != 0u) return;  // an earlier range check failed");
  for (const std::string& s : ex.prologue()) out.line(s);
  out.raw(body.text());  // written one level deep
  out.close("\n");
  return l;
}

}  // namespace kiln::cuda
