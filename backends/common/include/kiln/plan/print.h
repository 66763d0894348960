#pragma once
/// Human-readable dump of a kernel plan (for debugging: KILN_CPU_DUMP_PLAN=1).
#include <string>

#include "kiln/plan/kernel_plan.h"

namespace kiln::plan {

/// One line per buffer and a few per kernel, e.g.
///   k3 conv+relu: [N,8,12,12] red[3,3,3] sum: (x[v0,...] * w[...]) -> buf5
std::string describeProgram(const Program& p);
/// An expression as text.
std::string describeExpr(const Program& p, const Expr& e);

}  // namespace kiln::plan
