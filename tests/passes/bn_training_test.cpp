// lowerTrainingBatchNorm: training-mode BatchNormalization, the hand-written training BN and the
// naive whole-tensor normalisation become one BatchNormTraining; refusals.
#include "bn_test_graphs.h"

namespace kiln::bntest {
namespace {

TEST(BnTraining, OnnxBatchNormWithReluFused) {
  Builder b;
  Value* x = b.input("x", {4, 3, 5, 5});
  Value* c = b.conv("conv1", x, 3, 4, {3, 3});
  Value* y = b.bn("bn1", c, 4, /*training=*/true);
  Node* bnNode = b.last;
  b.output(b.op(OpKind::Relu, "relu1", {y}));
  b.output(bnNode->outputs[1]);
  b.output(bnNode->outputs[2]);
  auto g = b.finish();
  auto r = rewriteAndCompare(*g);
  EXPECT_EQ(countOps(*r.g, OpKind::BatchNormalization), 0);
  EXPECT_EQ(countOps(*r.g, OpKind::Relu), 0);
  EXPECT_EQ(countOps(*r.g, OpKind::Conv), 1);
  const Node* t = findNode(*r.g, OpKind::BatchNormTraining);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->as<BatchNormTrainingAttrs>().activation.kind, Activation::Relu);
  EXPECT_FALSE(t->as<BatchNormTrainingAttrs>().unbiasedRunningVar);
  EXPECT_EQ(decisionFor(r.report, "bn1").action, "lowered to BatchNormTraining (+Relu fused)");
}

TEST(BnTraining, ClipAndLeakyReluFuse) {
  for (OpKind act : {OpKind::Clip, OpKind::LeakyRelu, OpKind::Sigmoid, OpKind::Tanh}) {
    Builder b;
    Value* x = b.input("x", {6, 5});
    Value* y = b.bn("bn1", x, 5, true, true);
    Value* z;
    // Bounds exactly representable in float: ActivationAttrs stores them as float.
    if (act == OpKind::Clip) z = b.op(OpKind::Clip, "act", {y, b.scalar("lo", -0.25), b.scalar("hi", 0.375)});
    else if (act == OpKind::LeakyRelu) z = b.op(OpKind::LeakyRelu, "act", {y}, AlphaAttrs{0.2f});
    else z = b.op(act, "act", {y});
    b.output(z);
    auto g = b.finish();
    auto r = rewriteAndCompare(*g);
    EXPECT_EQ(countOps(*r.g, act), 0) << opName(act);
    EXPECT_EQ(countOps(*r.g, OpKind::BatchNormTraining), 1);
    EXPECT_TRUE(mentions(decisionFor(r.report, "bn1").action, std::string("+") + std::string(opName(act)) + " fused"));
  }
}

TEST(BnTraining, NoFusionWhenYIsAGraphOutput) {
  Builder b;
  Value* x = b.input("x", {4, 3});
  Value* y = b.bn("bn1", x, 3, true);
  b.output(y);
  b.output(b.op(OpKind::Relu, "relu1", {y}));
  auto g = b.finish();
  auto r = rewriteAndCompare(*g);
  EXPECT_EQ(countOps(*r.g, OpKind::Relu), 1);
  EXPECT_EQ(decisionFor(r.report, "bn1").action, "lowered to BatchNormTraining");
}

// pytorchRunningVar: running_var' = rv*m + var_unbiased*(1-m) instead of ONNX's population var.
// Expected values derive from the original graph's ONNX outputs: var_pop is recovered from the
// ONNX running_var output and rescaled by n/(n-1).
TEST(BnTraining, PytorchRunningVarUsesUnbiasedVariance) {
  Builder b;
  Value* x = b.input("x", {3, 2, 2, 2});
  b.bn("bn1", x, 2, true);
  Node* bnNode = b.last;
  Value* rvIn = bnNode->inputs[4];
  const double momentum = bnNode->as<BatchNormAttrs>().momentum;
  b.output(bnNode->outputs[0]);
  b.output(bnNode->outputs[2]);
  auto g = b.finish();
  auto out = g->clone();
  PassOptions opts;
  opts.pytorchRunningVar = true;
  runBnPasses(*out, opts);
  ASSERT_TRUE(findNode(*out, OpKind::BatchNormTraining)->as<BatchNormTrainingAttrs>().unbiasedRunningVar);
  TensorMap in = randomInputs(*g);
  TensorMap ref = evaluate(*g, in, Precision::F64);
  TensorMap got = evaluate(*out, in, Precision::F64);
  const std::string rvName = g->outputs[1]->name;
  const std::vector<double> onnxRv = ref.at(rvName).toDoubles(), rv0 = rvIn->constant->toDoubles(),
                            gotRv = got.at(rvName).toDoubles();
  const double n = 3 * 2 * 2;
  for (size_t c = 0; c < 2; ++c) {
    const double varPop = (onnxRv[c] - rv0[c] * momentum) / (1 - momentum);
    const double expected = rv0[c] * momentum + varPop * n / (n - 1) * (1 - momentum);
    EXPECT_NEAR(gotRv[c], expected, 1e-9);
    EXPECT_GT(std::fabs(gotRv[c] - onnxRv[c]), 1e-6);  // really differs from ONNX's
  }
  const std::vector<double> y0 = ref.at(g->outputs[0]->name).toDoubles(), y1 = got.at(g->outputs[0]->name).toDoubles();
  for (size_t i = 0; i < y0.size(); ++i) EXPECT_NEAR(y0[i], y1[i], 1e-9);
}

// Seed 001 training export: ReduceMean(axes, keepdims) / Sub / Pow 2 / ReduceMean / Add eps /
// Sqrt / Div / Mul gamma / Add beta [/ Sigmoid].
std::unique_ptr<Graph> handWrittenTraining(Builder& b, bool fourD, double exponent = 2.0, bool sigmoid = true) {
  const int64_t c = 4;
  Value* x = b.input("x", fourD ? std::vector<int64_t>{3, 2, 5, 5} : std::vector<int64_t>{6, 3});
  Value* f = fourD ? b.conv("conv1", x, 2, c, {2, 2}) : b.op(OpKind::Gemm, "fc1", {x, b.rand("w", {3, c})}, GemmAttrs{});
  ReduceAttrs ra;
  ra.keepDims = fourD;
  Value* axes = b.ints("axes", fourD ? std::vector<int64_t>{0, 2, 3} : std::vector<int64_t>{0});
  Value* mean = b.op(OpKind::ReduceMean, "mean", {f, axes}, ra);
  Value* d = b.op(OpKind::Sub, "center", {f, mean});
  Value* sq = b.op(OpKind::Pow, "square", {d, b.scalar("two", exponent)});
  Value* var = b.op(OpKind::ReduceMean, "var", {sq, axes}, ra);
  Value* ve = b.op(OpKind::Add, "add_eps", {var, b.scalar("eps", 1e-5)});
  Value* sd = b.op(OpKind::Sqrt, "sqrt", {ve});
  Value* xh = b.op(OpKind::Div, "normalize", {d, sd});
  std::vector<int64_t> pd = fourD ? std::vector<int64_t>{1, c, 1, 1} : std::vector<int64_t>{1, c};
  Value* s = b.op(OpKind::Mul, "mul_gamma", {b.rand("gamma", pd, 0.5, 1.5), xh});
  Value* y = b.op(OpKind::Add, "add_beta", {s, b.rand("beta", pd)});
  b.output(sigmoid ? b.op(OpKind::Sigmoid, "sig", {y}) : y);
  return b.finish();
}

void checkHandWrittenTraining(bool fourD) {
  Builder b;
  auto g = handWrittenTraining(b, fourD);
  auto r = rewriteAndCompare(*g);
  EXPECT_EQ(countOps(*r.g, OpKind::BatchNormTraining), 1);
  EXPECT_EQ(countOps(*r.g, OpKind::ReduceMean), 0);
  EXPECT_EQ(countOps(*r.g, OpKind::Sigmoid), 0);
  EXPECT_EQ(countOps(*r.g, OpKind::ScaleShift), 0);
  const auto& a = findNode(*r.g, OpKind::BatchNormTraining)->as<BatchNormTrainingAttrs>();
  EXPECT_EQ(a.axis, 1);
  EXPECT_FALSE(a.wholeTensor);
  EXPECT_FALSE(a.unbiasedVar);
  EXPECT_NEAR(a.epsilon, 1e-5, 1e-12);
  const BnDecision d = decisionFor(r.report, "mean");
  EXPECT_EQ(d.pattern, "hand-written BN");
  EXPECT_EQ(d.action, "lowered to BatchNormTraining (+Sigmoid fused)");
}

TEST(BnTraining, HandWritten4d) { checkHandWrittenTraining(true); }
TEST(BnTraining, HandWritten2d) { checkHandWrittenTraining(false); }

TEST(BnTraining, HandWrittenWithWrongExponentIsDeclined) {
  Builder b;
  auto g = handWrittenTraining(b, true, 3.0);
  auto r = rewriteAndCompare(*g);
  EXPECT_EQ(countOps(*r.g, OpKind::BatchNormTraining), 0);
  const BnDecision d = decisionFor(r.report, "mean");
  EXPECT_TRUE(mentions(d.action, "not lowered")) << d.action;
  EXPECT_TRUE(mentions(d.reason, "power 3")) << d.reason;
}

// Statistics over the feature axis only (a hand-written LayerNorm) are not batch statistics.
TEST(BnTraining, LayerNormPatternIsNotABatchNorm) {
  Builder b;
  Value* x = b.input("x", {4, 6});
  ReduceAttrs ra;
  Value* axes = b.ints("axes", {1});
  Value* d = b.op(OpKind::Sub, "center", {x, b.op(OpKind::ReduceMean, "mean", {x, axes}, ra)});
  Value* var = b.op(OpKind::ReduceMean, "var", {b.op(OpKind::Mul, "sq", {d, d}), axes}, ra);
  Value* sd = b.op(OpKind::Sqrt, "sqrt", {b.op(OpKind::Add, "add_eps", {var, b.scalar("eps", 1e-5)})});
  b.output(b.op(OpKind::Div, "normalize", {d, sd}));
  auto g = b.finish();
  auto r = rewriteAndCompare(*g);
  EXPECT_EQ(countOps(*r.g, OpKind::BatchNormTraining), 0);
  EXPECT_EQ(countOps(*r.g, OpKind::ReduceMean), 2);
  EXPECT_TRUE(r.report.bn.empty());
}

// Seed 003 naive BN `(x - x.mean()) / x.std() * scale + shift` as torch 1.13 exports it, with
// the Shape->ReduceProd->Cast count already folded to constants (static shape): the unbiased
// correction is Mul(., n) then Div(., n - 1).
std::unique_ptr<Graph> naive(Builder& b, double nConst, double nMinus1, bool powSquare) {
  Value* x = b.input("x", {4, 6});
  Value* h = b.op(OpKind::Relu, "relu", {x});
  ReduceAttrs all;
  all.keepDims = false;
  Value* m1 = b.op(OpKind::ReduceMean, "mean1", {h}, all);
  Value* d1 = b.op(OpKind::Sub, "sub1", {h, m1});
  Value* m2 = b.op(OpKind::ReduceMean, "mean2", {h}, all);
  Value* d2 = b.op(OpKind::Sub, "sub2", {h, m2});
  Value* sq = powSquare ? b.op(OpKind::Pow, "sq", {d2, b.scalar("two", 2)}) : b.op(OpKind::Mul, "sq", {d2, d2});
  Value* ms = b.op(OpKind::ReduceMean, "mean_sq", {sq}, all);
  Value* t = b.op(OpKind::Mul, "times_n", {ms, b.scalar("n", nConst)});
  Value* var = b.op(OpKind::Div, "unbias", {t, b.scalar("n_minus_1", nMinus1)});
  Value* sd = b.op(OpKind::Sqrt, "std", {var});
  Value* xh = b.op(OpKind::Div, "normalize", {d1, sd});
  Value* s = b.op(OpKind::Mul, "mul_scale", {xh, b.rand("scale", {6}, 0.5, 1.5)});
  Value* y = b.op(OpKind::Add, "add_shift", {s, b.rand("shift", {6})});
  b.output(b.op(OpKind::Gemm, "fc", {y, b.rand("w", {6, 3})}, GemmAttrs{}));
  return b.finish();
}

TEST(BnTraining, NaiveWholeTensorPattern) {
  for (bool pow : {false, true}) {
    Builder b;
    auto g = naive(b, 24, 23, pow);
    auto r = rewriteAndCompare(*g);
    EXPECT_EQ(countOps(*r.g, OpKind::BatchNormTraining), 1);
    EXPECT_EQ(countOps(*r.g, OpKind::ReduceMean), 0);
    EXPECT_EQ(countOps(*r.g, OpKind::Sqrt), 0);
    const auto& a = findNode(*r.g, OpKind::BatchNormTraining)->as<BatchNormTrainingAttrs>();
    EXPECT_TRUE(a.wholeTensor);
    EXPECT_TRUE(a.unbiasedVar);
    EXPECT_EQ(a.epsilon, 0.0);
    EXPECT_EQ(a.axis, 1);
    const BnDecision d = decisionFor(r.report, "mean1");
    EXPECT_EQ(d.pattern, "whole-tensor BN");
    EXPECT_EQ(d.action, "lowered to BatchNormTraining");
  }
}

TEST(BnTraining, NaivePatternWithWrongCorrectionIsDeclined) {
  Builder b;
  auto g = naive(b, 24, 22, false);  // n/(n-2): not what x.std() computes
  auto r = rewriteAndCompare(*g);
  EXPECT_EQ(countOps(*r.g, OpKind::BatchNormTraining), 0);
  const BnDecision d = decisionFor(r.report, "mean1");
  EXPECT_EQ(d.pattern, "whole-tensor BN");
  EXPECT_TRUE(mentions(d.reason, "neither 1 nor n/(n-1)")) << d.reason;
}

TEST(BnTraining, DisabledByOption) {
  Builder b;
  Value* x = b.input("x", {4, 3});
  b.output(b.bn("bn1", x, 3, true));
  auto g = b.finish();
  PassOptions opts;
  opts.foldBatchNorm = false;
  PassReport report;
  PassContext ctx{opts, report};
  EXPECT_FALSE(lowerTrainingBatchNorm(*g, ctx));
  EXPECT_EQ(countOps(*g, OpKind::BatchNormalization), 1);
  EXPECT_TRUE(mentions(decisionFor(report, "bn1").action, "disabled"));
}

}  // namespace
}  // namespace kiln::bntest
