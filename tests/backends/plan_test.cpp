// The shared kernel plan (kiln_plan) on its own: structure the backends rely on.
#include <gtest/gtest.h>

#include "cpu_test_util.h"
#include "graph_builder.h"
#include "kiln/backends/cpu/cpu_backend.h"
#include "kiln/eval/evaluator.h"
#include "kiln/ir/shape_inference.h"
#include "kiln/plan/plan.h"

namespace kiln::test {
namespace {

// Issue 9: fusing a chain of Relus (each reads its input twice) built the expression as a
// tree, 2^n nodes for n Relus (20 took 100 s and 3.7 GB to compile). Fusion keeps it a DAG: one
// kernel whose value has a few distinct nodes per Relu, although the tree it stands for has
// 2^60 loads; the CPU backend compiles and runs it like the evaluator.
TEST(Plan, FusedChainsStayDagsLinearInTheGraph) {
  constexpr int kRelus = 60;
  GraphBuilder b;
  Value* x = b.input("x", dims({sym("N"), 8}));
  for (int i = 0; i < kRelus; ++i) x = b.op(OpKind::Relu, "relu" + std::to_string(i), {x});
  b.output(x);
  inferShapes(b.g);
  const plan::Program p = plan::buildProgram(b.g);
  ASSERT_EQ(p.kernels.size(), 1u);
  int64_t distinct = 0;
  plan::visit(p.kernels[0].value, [&](const plan::Expr&) { ++distinct; });
  EXPECT_LE(distinct, 8 * kRelus) << "distinct expression nodes";
  const int64_t loads = plan::countReferences(p.kernels[0].value, [](const plan::ExprNode& n) { return n.op == plan::EOp::Load; });
  EXPECT_EQ(loads, int64_t{1} << 40) << "the unfolded tree (saturated count)";

  auto model = cpu::compileCpuJit(b.g);
  const TensorMap in{{"x", randomTensor({5, 8}, 3)}};
  expectClose(model->run(in).at(x->name), evaluate(b.g, in, Precision::F64).at(x->name), 0, "relu chain");
}

}  // namespace
}  // namespace kiln::test
