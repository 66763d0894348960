// The inline exp of the CPU backend (codegen/fast_math.cpp) behind Exp and Sigmoid: relative
// error over the whole float range against the float64 reference, and the special values.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "graph_builder.h"
#include "kiln/backends/cpu/cpu_backend.h"
#include "kiln/eval/evaluator.h"
#include "kiln/ir/shape_inference.h"

namespace kiln::test {
namespace {

Tensor runUnary(OpKind k, const std::vector<float>& xs) {
  GraphBuilder b;
  const int64_t n = static_cast<int64_t>(xs.size());
  b.output(b.op(k, "op", {b.input("x", dims({n}))}));
  inferShapes(b.g);
  auto model = cpu::compileCpuJit(b.g);
  return model->run({{"x", Tensor::fromFloats(xs, {n})}}).at("op_out");
}

TEST(CpuMath, ExpRelativeErrorOverTheFloatRange) {
  std::vector<float> xs;
  for (double x = -87.3; x <= 88.72; x += 0.01) xs.push_back(static_cast<float>(x));
  const Tensor got = runUnary(OpKind::Exp, xs);
  double worst = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    const double want = std::exp(static_cast<double>(xs[i]));
    worst = std::max(worst, std::abs(got.getDouble(static_cast<int64_t>(i)) - want) / want);
  }
  EXPECT_LT(worst, 1e-6);
}

TEST(CpuMath, ExpSpecialValues) {
  const float inf = std::numeric_limits<float>::infinity();
  const Tensor got = runUnary(OpKind::Exp, {0.0f, 100.0f, inf, -200.0f, -inf, std::nanf("")});
  EXPECT_EQ(got.getDouble(0), 1.0);
  EXPECT_TRUE(std::isinf(got.getDouble(1)));
  EXPECT_TRUE(std::isinf(got.getDouble(2)));
  EXPECT_LE(got.getDouble(3), 1.2e-38);  // exp(-200): 0 or the smallest normal float
  EXPECT_LE(got.getDouble(4), 1.2e-38);
  EXPECT_TRUE(std::isnan(got.getDouble(5)));
}

TEST(CpuMath, SigmoidMatchesFloat64) {
  std::vector<float> xs;
  for (double x = -120.0; x <= 120.0; x += 0.013) xs.push_back(static_cast<float>(x));
  const Tensor got = runUnary(OpKind::Sigmoid, xs);
  double worst = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    const double want = 1.0 / (1.0 + std::exp(-static_cast<double>(xs[i])));
    worst = std::max(worst, std::abs(got.getDouble(static_cast<int64_t>(i)) - want) / std::max(want, 1e-30));
  }
  EXPECT_LT(worst, 1e-6);
}

}  // namespace
}  // namespace kiln::test
