#pragma once
/// The frame of one generated __global__ function: its parameters (root buffers, the symbols,
/// the error word), the early exit after a failed range check, the hoisted prologue and the
/// grid-stride loop every kernel form uses.
#include <string>
#include <vector>

#include "code_writer.h"
#include "expr_writer.h"
#include "launch_plan.h"

namespace kiln::cuda {

class KernelFrame {
 public:
  /// `roots`: the root buffers the function touches; `written`: those it stores to (the others
  /// are const __restrict__, so loads may use the read-only path).
  KernelFrame(const Program& p, std::vector<int> roots, std::vector<int> written, bool errorWord)
      : p_(p), roots_(std::move(roots)), written_(std::move(written)), errorWord_(errorWord) {}

  /// Writes `extern "C" __global__ void name(...) { ... }` to `out`: the error-word exit, the
  /// prologue `ex` hoisted, then `body`. Returns the launch for `threads` work items.
  Launch write(CodeWriter& out, const std::string& name, const std::string& kernel, const Expr& threads,
               int block, const ExprWriter& ex, const CodeWriter& body) const;

 private:
  const Program& p_;
  std::vector<int> roots_, written_;
  bool errorWord_;
};

/// `for (i64 v = <global thread index>; v < total; v += <grid size>)`, for CodeWriter::open.
std::string gridStrideLoop(const std::string& v, const std::string& total);

/// Unravels the row-major flat index `flat` over `extents` into loop variables
/// first .. first+extents.size()-1 (declared in `w`, named in ex.vars).
void unravel(ExprWriter& ex, CodeWriter& w, const std::string& flat, const std::vector<Poly>& extents,
             int first);
/// The same into the loop variables `ids` (one per extent).
void unravel(ExprWriter& ex, CodeWriter& w, const std::string& flat, const std::vector<Poly>& extents,
             const std::vector<int>& ids);

/// The function name of plan kernel `index` ("k3_conv_relu") with an optional role suffix.
std::string functionName(const Kernel& k, int index, const std::string& role = "");

}  // namespace kiln::cuda
