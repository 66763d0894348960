#pragma once
/// Shared helpers of the CPU backend tests: comparing a JIT output with a reference.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "kiln/ir/tensor.h"

namespace kiln::test {

/// Checks max|got - want| <= relTol * max(max|want|, floor), element counts and dims equal.
inline void expectClose(const Tensor& got, const Tensor& want, double relTol, const std::string& what,
                        double floor = 1e-6) {
  ASSERT_EQ(got.dims, want.dims) << what;
  const std::vector<double> g = got.toDoubles(), w = want.toDoubles();
  double scale = floor, worst = 0;
  size_t at = 0;
  for (double v : w) scale = std::max(scale, std::abs(v));
  for (size_t i = 0; i < g.size(); ++i) {
    const double e = std::abs(g[i] - w[i]);
    if (!(e <= worst)) worst = e, at = i;  // NaN counts as worst
  }
  EXPECT_LE(worst, relTol * scale) << what << ": worst error at element " << at << " (got " << g[at]
                                   << ", want " << w[at] << "), output scale " << scale;
}

}  // namespace kiln::test
