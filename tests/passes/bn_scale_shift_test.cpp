// batchNormToScaleShift: eval-mode BatchNormalization and the hand-written eval BN chain become
// one ScaleShift; refusals.
#include "bn_test_graphs.h"

namespace kiln::bntest {
namespace {

// Runs batchNormToScaleShift alone (plus shape inference and verification).
PassReport toScaleShift(Graph& g, PassOptions opts = {}) {
  PassReport report;
  PassContext ctx{opts, report};
  batchNormToScaleShift(g, ctx);
  inferShapes(g);
  verify(g);
  return report;
}

TEST(BnScaleShift, EvalBatchNormBecomesScaleShift) {
  Builder b;
  Value* x = b.input("x", {2, 3, 4, 4});
  b.output(b.bn("bn1", x, 3, false, true, 1e-3));
  auto g = b.finish();
  auto out = g->clone();
  PassReport r = toScaleShift(*out);
  ASSERT_EQ(countOps(*out, OpKind::ScaleShift), 1);
  EXPECT_EQ(countOps(*out, OpKind::BatchNormalization), 0);
  const Node* ss = findNode(*out, OpKind::ScaleShift);
  EXPECT_EQ(ss->name, "bn1");
  EXPECT_EQ(ss->as<ScaleShiftAttrs>().axis, 1);
  EXPECT_EQ(decisionFor(r, "bn1").pattern, "BatchNormalization");
  expectSameOutputs(*g, *out, randomInputs(*g));
}

TEST(BnScaleShift, Bn1dOnNC) {
  Builder b;
  Value* x = b.input("x", {5, 7});
  b.output(b.bn("bn1", x, 7));
  auto g = b.finish();
  auto out = g->clone();
  toScaleShift(*out);
  EXPECT_EQ(countOps(*out, OpKind::ScaleShift), 1);
  expectSameOutputs(*g, *out, randomInputs(*g));
}

TEST(BnScaleShift, NonConstantRunningVarIsNotFolded) {
  Builder b;
  Value* x = b.input("x", {2, 3, 4, 4});
  Value* var = b.input("var", {3});
  BatchNormAttrs a;
  b.output(b.op(OpKind::BatchNormalization, "bn1", {x, b.rand("s", {3}), b.rand("bb", {3}), b.rand("m", {3}), var}, a));
  auto g = b.finish();
  auto out = g->clone();
  PassReport r = toScaleShift(*out);
  EXPECT_EQ(countOps(*out, OpKind::BatchNormalization), 1);
  EXPECT_EQ(decisionFor(r, "bn1").action, "not folded: running_var is not constant");
}

TEST(BnScaleShift, TrainingModeIsNotFolded) {
  Builder b;
  Value* x = b.input("x", {2, 3, 4, 4});
  b.output(b.bn("bn1", x, 3, /*training=*/true));
  auto g = b.finish();
  PassReport r = toScaleShift(*g);
  EXPECT_EQ(countOps(*g, OpKind::BatchNormalization), 1);
  EXPECT_TRUE(mentions(decisionFor(r, "bn1").action, "not folded: training-mode"));
}

TEST(BnScaleShift, DisabledByOption) {
  Builder b;
  Value* x = b.input("x", {2, 3});
  b.output(b.bn("bn1", x, 3));
  auto g = b.finish();
  PassOptions opts;
  opts.foldBatchNorm = false;
  PassReport r = toScaleShift(*g, opts);
  EXPECT_EQ(countOps(*g, OpKind::BatchNormalization), 1);
  EXPECT_TRUE(mentions(decisionFor(r, "bn1").action, "disabled"));
}

// Seed 001 eval graph: Sub(X, mean), Div(., sqrt(var+eps)), Mul(gamma, .), Add(., beta) with
// constants shaped (1,C,1,1) or (1,C). `unfolded` keeps Add(var, eps) and Sqrt as nodes.
std::unique_ptr<Graph> handWrittenEval(bool fourD, bool unfolded, Builder& b) {
  const int64_t c = 4;
  std::vector<int64_t> pd = fourD ? std::vector<int64_t>{1, c, 1, 1} : std::vector<int64_t>{1, c};
  Value* x = b.input("x", fourD ? std::vector<int64_t>{2, 3, 6, 6} : std::vector<int64_t>{3, 5});
  Value* feat = fourD ? b.conv("conv1", x, 3, c, {3, 3}) : b.op(OpKind::Gemm, "fc1", {x, b.rand("w", {5, c}), b.rand("wb", {c})}, GemmAttrs{});
  Value* d = b.op(OpKind::Sub, "sub_mean", {feat, b.rand("moving_mean", pd)});
  Value* denom;
  if (unfolded) {
    Value* ve = b.op(OpKind::Add, "add_eps", {b.rand("moving_var", pd, 0.5, 2), b.scalar("eps", 1e-5)});
    denom = b.op(OpKind::Sqrt, "sqrt", {ve});
  } else {
    denom = b.rand("sqrt_var", pd, 0.7, 1.5);
  }
  Value* xh = b.op(OpKind::Div, "div_std", {d, denom});
  Value* s = b.op(OpKind::Mul, "mul_gamma", {b.rand("gamma", pd, -1.5, 1.5), xh});
  b.output(b.op(OpKind::Add, "add_beta", {s, b.rand("beta", pd)}));
  return b.finish();
}

void checkHandWritten(bool fourD, bool unfolded) {
  Builder b;
  auto g = handWrittenEval(fourD, unfolded, b);
  auto out = g->clone();
  PassReport r = toScaleShift(*out);
  EXPECT_EQ(countOps(*out, OpKind::ScaleShift), 1);
  EXPECT_EQ(countOps(*out, OpKind::Sub) + countOps(*out, OpKind::Div) + countOps(*out, OpKind::Mul) +
                countOps(*out, OpKind::Add) + countOps(*out, OpKind::Sqrt),
            0);
  const BnDecision d = decisionFor(r, "sub_mean");
  EXPECT_EQ(d.pattern, "hand-written BN");
  EXPECT_EQ(d.action, "converted to ScaleShift on axis 1");
  expectSameOutputs(*g, *out, randomInputs(*g));

  // The whole pipeline folds it into the conv / linear layer.
  auto all = rewriteAndCompare(*g);
  EXPECT_EQ(countOps(*all.g, OpKind::ScaleShift), 0);
  EXPECT_TRUE(mentions(decisionFor(all.report, "sub_mean").action,
                       fourD ? "folded backward into Conv 'conv1'" : "folded backward into Gemm 'fc1'"));
}

TEST(BnScaleShift, HandWritten4d) { checkHandWritten(true, false); }
TEST(BnScaleShift, HandWritten2d) { checkHandWritten(false, false); }
TEST(BnScaleShift, HandWritten4dUnfoldedSqrt) { checkHandWritten(true, true); }
TEST(BnScaleShift, HandWritten2dUnfoldedSqrt) { checkHandWritten(false, true); }

// c - x flips the sign of the scale; a scalar step in the middle broadcasts.
TEST(BnScaleShift, ConstantMinusXAndScalarsCompose) {
  Builder b;
  Value* x = b.input("x", {2, 3, 4});
  Value* a = b.op(OpKind::Sub, "rsub", {b.rand("c0", {3, 1}), x});
  Value* m = b.op(OpKind::Mul, "twice", {a, b.scalar("two", 2.0)});
  b.output(b.op(OpKind::Div, "scale", {m, b.rand("c1", {1, 3, 1}, 0.5, 2)}));
  auto g = b.finish();
  auto out = g->clone();
  PassReport r = toScaleShift(*out);
  ASSERT_EQ(countOps(*out, OpKind::ScaleShift), 1);
  EXPECT_EQ(findNode(*out, OpKind::ScaleShift)->as<ScaleShiftAttrs>().axis, 1);
  EXPECT_EQ(decisionFor(r, "rsub").pattern, "per-channel affine");
  expectSameOutputs(*g, *out, randomInputs(*g));
}

// c / x is not affine: the chain stops before it, and constants along two different axes do
// not merge.
TEST(BnScaleShift, ConstantDividedByXStopsTheChain) {
  Builder b;
  Value* x = b.input("x", {2, 3, 4});
  Value* m = b.op(OpKind::Mul, "m1", {x, b.rand("c0", {1, 3, 1}, 0.5, 2)});
  Value* q = b.op(OpKind::Div, "recip", {b.rand("c1", {1, 3, 1}, 0.5, 2), m});
  Value* n = b.op(OpKind::Mul, "m2", {q, b.rand("c2", {4}, 0.5, 2)});  // along axis 2
  b.output(n);
  auto g = b.finish();
  auto out = g->clone();
  toScaleShift(*out);
  EXPECT_EQ(countOps(*out, OpKind::ScaleShift), 2);
  EXPECT_EQ(countOps(*out, OpKind::Div), 1);
  for (auto& node : out->nodes()) {
    if (node->kind == OpKind::ScaleShift) {
      EXPECT_EQ(node->as<ScaleShiftAttrs>().axis, node->name == "m1" ? 1 : 2);
    }
  }
  expectSameOutputs(*g, *out, randomInputs(*g));
}

// A chain only merges through values with one consumer that are not graph outputs.
TEST(BnScaleShift, ChainStopsAtSharedValue) {
  Builder b;
  Value* x = b.input("x", {2, 3});
  Value* s = b.op(OpKind::Sub, "sub", {x, b.rand("m", {3})});
  Value* d = b.op(OpKind::Div, "div", {s, b.rand("v", {3}, 0.5, 2)});
  b.output(s);
  b.output(b.op(OpKind::Mul, "mul", {d, b.rand("g", {3})}));
  auto g = b.finish();
  auto out = g->clone();
  toScaleShift(*out);
  // `sub` alone is a bias add (no scaling): left as is; div+mul become one ScaleShift.
  EXPECT_EQ(countOps(*out, OpKind::Sub), 1);
  EXPECT_EQ(countOps(*out, OpKind::ScaleShift), 1);
  expectSameOutputs(*g, *out, randomInputs(*g));
}

TEST(BnScaleShift, PlainBiasAddIsLeftAlone) {
  Builder b;
  Value* x = b.input("x", {2, 3});
  b.output(b.op(OpKind::Add, "bias", {b.op(OpKind::MatMul, "mm", {x, b.rand("w", {3, 3})}), b.rand("c", {3})}));
  auto g = b.finish();
  PassReport r = toScaleShift(*g);
  EXPECT_EQ(countOps(*g, OpKind::ScaleShift), 0);
  EXPECT_TRUE(r.bn.empty());
}

}  // namespace
}  // namespace kiln::bntest
