#pragma once
/// Helpers of the runtime tests: fake-artifact paths, inputs for the fake model, and an
/// independent computation of what it must output.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "kiln/kiln.h"

namespace kiln::rt::test {

/// Paths of the fake artifacts built by tests/CMakeLists.txt (see fake_artifact.c).
inline const char* fakePath() { return KILN_FAKE_ARTIFACT; }

/// Inputs of the fake model (x float32 [N,4], k int64 [N]), varied by `seed`.
struct FakeInputs {
  int64_t n = 0;
  std::vector<float> x;
  std::vector<int64_t> k;

  FakeInputs(int64_t rows, int seed) : n(rows), x(static_cast<size_t>(rows * 4)), k(static_cast<size_t>(rows)) {
    for (int64_t i = 0; i < rows * 4; ++i)
      x[static_cast<size_t>(i)] = static_cast<float>(((i * 7 + seed * 13) % 23) - 11) * 0.25f;
    for (int64_t r = 0; r < rows; ++r) k[static_cast<size_t>(r)] = (r * 3 + seed) % 5;
  }

  kiln_tensor xTensor() const { return tensor(x.data(), KILN_DTYPE_FLOAT32, {n, 4}, x.size() * sizeof(float)); }
  kiln_tensor kTensor() const { return tensor(k.data(), KILN_DTYPE_INT64, {n}, k.size() * sizeof(int64_t)); }

  static kiln_tensor tensor(const void* data, int32_t dtype, std::vector<int64_t> dims, size_t bytes) {
    kiln_tensor t{};
    t.data = const_cast<void*>(data);
    t.bytes = bytes;
    t.dtype = dtype;
    t.rank = dims.size();
    std::copy(dims.begin(), dims.end(), t.dims);
    return t;
  }
};

/// What the fake model must produce, computed here from its specification.
struct FakeExpected {
  std::vector<float> y;  // relu(2x + 1), [N,4]; also `flat`
  std::vector<double> s;  // row sums of y plus k, [N]

  explicit FakeExpected(const FakeInputs& in) {
    for (float v : in.x) y.push_back(std::max(2.0f * v + 1.0f, 0.0f));
    for (int64_t r = 0; r < in.n; ++r) {
      double sum = static_cast<double>(in.k[static_cast<size_t>(r)]);
      for (int j = 0; j < 4; ++j) sum += y[static_cast<size_t>(r * 4 + j)];
      s.push_back(sum);
    }
  }
};

/// Caller-side output buffers for the fake model, sized for `n` rows.
struct FakeOutputs {
  std::vector<float> y, flat;
  std::vector<double> s;
  explicit FakeOutputs(int64_t n)
      : y(static_cast<size_t>(n * 4), -1.0f), flat(static_cast<size_t>(n * 4), -1.0f), s(static_cast<size_t>(n), -1.0) {}

  std::vector<kiln_tensor> tensors() {
    std::vector<kiln_tensor> t(3);
    t[0].data = y.data(), t[0].bytes = y.size() * sizeof(float);
    t[1].data = s.data(), t[1].bytes = s.size() * sizeof(double);
    t[2].data = flat.data(), t[2].bytes = flat.size() * sizeof(float);
    return t;
  }
};

/// Checks three output data arrays against the expectation; returns false on the first difference.
inline bool matches(const FakeExpected& e, const float* y, const double* s, const float* flat) {
  for (size_t i = 0; i < e.y.size(); ++i)
    if (std::abs(y[i] - e.y[i]) > 1e-6f || std::abs(flat[i] - e.y[i]) > 1e-6f) return false;
  for (size_t i = 0; i < e.s.size(); ++i)
    if (std::abs(s[i] - e.s[i]) > 1e-9) return false;
  return true;
}

/// Loads the good fake artifact for one test; frees it at the end.
class FakeModelTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(kiln_model_load(fakePath(), &model_), KILN_STATUS_OK) << kiln_last_error(); }
  void TearDown() override { kiln_model_free(model_); }
  kiln_model* model_ = nullptr;
};

}  // namespace kiln::rt::test
