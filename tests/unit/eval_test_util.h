#pragma once
/// Helpers for the reference-evaluator unit tests.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>

#include "kiln/ir/tensor.h"
#include "kiln/support/npy.h"
#include "test_util.h"

namespace kiln::test {

/// Arrays of tests/data/eval/<name>.npz.
inline std::map<std::string, Tensor> loadFixture(const std::string& name) {
  return readNpz(sourcePath("tests/data/eval/" + name + ".npz"));
}

/// Checks |got - want| <= atol + rtol * |want| elementwise (NaN only matches NaN) and the
/// shapes; reports how many elements differ and the worst one.
inline void expectClose(const Tensor& got, const Tensor& want, double rtol, double atol,
                        const std::string& what) {
  ASSERT_EQ(got.dims, want.dims) << what;
  int64_t bad = 0, worst = -1;
  double worstErr = 0;
  for (int64_t i = 0; i < want.size(); ++i) {
    const double g = got.getDouble(i), w = want.getDouble(i);
    const double err = std::isnan(g) || std::isnan(w) ? (std::isnan(g) == std::isnan(w) ? 0 : INFINITY)
                                                      : std::abs(g - w) - (atol + rtol * std::abs(w));
    if (err > 0) {
      ++bad;
      if (worst < 0 || err > worstErr) worst = i, worstErr = err;
    }
  }
  EXPECT_EQ(bad, 0) << what << ": " << bad << " of " << want.size()
                    << " elements differ; e.g. [" << worst << "] got "
                    << (worst >= 0 ? got.getDouble(worst) : 0) << " want "
                    << (worst >= 0 ? want.getDouble(worst) : 0);
}

/// Success when `text` contains `part` (gtest without gmock's HasSubstr).
inline testing::AssertionResult contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return testing::AssertionSuccess();
  return testing::AssertionFailure() << "'" << text << "' does not contain '" << part << "'";
}

/// Exact equality of dtype, dims and values.
inline void expectEqualTensor(const Tensor& got, const Tensor& want, const std::string& what) {
  EXPECT_EQ(dtypeName(got.dtype), std::string(dtypeName(want.dtype))) << what;
  ASSERT_EQ(got.dims, want.dims) << what;
  for (int64_t i = 0; i < want.size(); ++i)
    if (got.getDouble(i) != want.getDouble(i)) {
      ADD_FAILURE() << what << ": element " << i << " is " << got.getDouble(i) << ", want "
                    << want.getDouble(i);
      return;
    }
}

}  // namespace kiln::test
