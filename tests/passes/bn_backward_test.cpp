// foldScaleShiftBackward: BN folded into the Conv / ConvTranspose / Gemm / MatMul before it,
// and the refusals.
#include "bn_test_graphs.h"

namespace kiln::bntest {
namespace {

// Conv(+/-bias, groups) -> BN: everything folds into the conv, the conv count is unchanged.
void checkConvBn(std::vector<int64_t> inDims, int64_t cin, int64_t cout, std::vector<int64_t> kernel,
                 int64_t group, bool bias) {
  Builder b;
  Value* x = b.input("x", inDims);
  Value* c = b.conv("conv1", x, cin, cout, kernel, group, bias);
  b.output(b.bn("bn1", c, cout));
  auto g = b.finish();
  auto r = rewriteAndCompare(*g);
  EXPECT_EQ(countOps(*r.g, OpKind::BatchNormalization), 0);
  EXPECT_EQ(countOps(*r.g, OpKind::ScaleShift), 0);
  EXPECT_EQ(countOps(*r.g, OpKind::Conv), 1);
  EXPECT_TRUE(mentions(decisionFor(r.report, "bn1").action, "folded backward into Conv 'conv1'"))
      << decisionFor(r.report, "bn1").action;
  // The graph output keeps its name: the conv took over the BN's output value.
  EXPECT_EQ(r.g->outputs[0]->name, g->outputs[0]->name);
}

TEST(BnBackward, ConvWithBias) { checkConvBn({2, 3, 7, 7}, 3, 4, {3, 3}, 1, true); }
TEST(BnBackward, ConvWithoutBias) { checkConvBn({2, 3, 7, 7}, 3, 4, {3, 3}, 1, false); }
TEST(BnBackward, GroupedConv) { checkConvBn({2, 4, 6, 6}, 4, 6, {3, 3}, 2, true); }
TEST(BnBackward, DepthwiseConv) { checkConvBn({2, 5, 6, 6}, 5, 5, {3, 3}, 5, false); }
TEST(BnBackward, Conv1dBn1dOnNCL) { checkConvBn({3, 4, 9}, 4, 6, {3}, 1, true); }

void checkConvTransposeBn(int64_t cin, int64_t cout, int64_t group) {
  Builder b;
  Value* x = b.input("x", {2, cin, 4, 4});
  ConvAttrs a;
  a.group = group;
  a.strides = {2, 2};
  Value* ct = b.op(OpKind::ConvTranspose, "deconv", {x, b.rand("w", {cin, cout / group, 3, 3}), b.rand("bias", {cout})}, a);
  b.output(b.bn("bn1", ct, cout, false, /*signedScale=*/true));
  auto g = b.finish();
  auto r = rewriteAndCompare(*g);
  EXPECT_EQ(countOps(*r.g, OpKind::ScaleShift), 0);
  EXPECT_EQ(countOps(*r.g, OpKind::ConvTranspose), 1);
  EXPECT_TRUE(mentions(decisionFor(r.report, "bn1").action, "folded backward into ConvTranspose 'deconv'"));
}

TEST(BnBackward, ConvTranspose) { checkConvTransposeBn(3, 4, 1); }
TEST(BnBackward, ConvTransposeGrouped) { checkConvTransposeBn(4, 6, 2); }

// Gemm variants: transB, C absent / [N] / [1,N] / [M,N] / scalar, alpha and beta != 1.
void checkGemmBn(bool transB, std::vector<int64_t> cDims, bool withC, float alpha, float beta) {
  const int64_t m = 3, k = 5, n = 4;
  Builder b;
  Value* x = b.input("x", {m, k});
  GemmAttrs a;
  a.transB = transB;
  a.alpha = alpha;
  a.beta = beta;
  std::vector<Value*> ins{x, b.rand("w", transB ? std::vector<int64_t>{n, k} : std::vector<int64_t>{k, n})};
  if (withC) ins.push_back(b.rand("c", cDims));
  Value* y = b.op(OpKind::Gemm, "fc1", ins, a);
  b.output(b.bn("bn1", y, n, false, true));
  auto g = b.finish();
  auto r = rewriteAndCompare(*g);
  EXPECT_EQ(countOps(*r.g, OpKind::ScaleShift), 0);
  EXPECT_EQ(countOps(*r.g, OpKind::Gemm), 1);
  EXPECT_TRUE(mentions(decisionFor(r.report, "bn1").action, "folded backward into Gemm 'fc1'"));
}

TEST(BnBackward, GemmNoTransNoC) { checkGemmBn(false, {}, false, 1, 1); }
TEST(BnBackward, GemmTransBWithC) { checkGemmBn(true, {4}, true, 1, 1); }
TEST(BnBackward, GemmRowC) { checkGemmBn(false, {1, 4}, true, 1, 1); }
TEST(BnBackward, GemmFullC) { checkGemmBn(true, {3, 4}, true, 1, 1); }
TEST(BnBackward, GemmColumnC) { checkGemmBn(false, {3, 1}, true, 1, 1); }
TEST(BnBackward, GemmScalarC) { checkGemmBn(true, {}, true, 1, 1); }
TEST(BnBackward, GemmAlphaBeta) { checkGemmBn(true, {4}, true, 0.7f, 1.9f); }
TEST(BnBackward, GemmBetaZero) { checkGemmBn(false, {4}, true, 2.0f, 0.0f); }

TEST(BnBackward, MatMul) {
  Builder b;
  Value* x = b.input("x", {3, 5});
  Value* y = b.op(OpKind::MatMul, "mm", {x, b.rand("w", {5, 4})});
  b.output(b.bn("bn1", y, 4));
  auto g = b.finish();
  auto r = rewriteAndCompare(*g);
  EXPECT_EQ(countOps(*r.g, OpKind::ScaleShift), 0);
  EXPECT_EQ(countOps(*r.g, OpKind::MatMul), 1);
  EXPECT_EQ(countOps(*r.g, OpKind::Add), 1);  // the shift, as a bias add
  EXPECT_TRUE(mentions(decisionFor(r.report, "bn1").action, "folded backward into MatMul 'mm'"));
}

TEST(BnBackward, MatMulPlusBiasAdd) {
  Builder b;
  Value* x = b.input("x", {3, 5});
  Value* y = b.op(OpKind::MatMul, "mm", {x, b.rand("w", {5, 4})});
  Value* z = b.op(OpKind::Add, "bias_add", {y, b.rand("bias", {4})});
  b.output(b.bn("bn1", z, 4));
  auto g = b.finish();
  auto r = rewriteAndCompare(*g);
  EXPECT_EQ(countOps(*r.g, OpKind::ScaleShift), 0);
  EXPECT_EQ(countOps(*r.g, OpKind::Add), 1);
  EXPECT_TRUE(mentions(decisionFor(r.report, "bn1").action, "MatMul 'mm' and its bias Add 'bias_add'"));
}

// Linear without bias exported unfolded: MatMul(x, Transpose(W)) — the constant subgraph
// counts as constant weights.
TEST(BnBackward, MatMulWithTransposedConstantWeight) {
  Builder b;
  Value* x = b.input("x", {3, 5});
  TransposeAttrs t;
  t.perm = {1, 0};
  Value* wt = b.op(OpKind::Transpose, "wt", {b.rand("w", {4, 5})}, t);
  Value* y = b.op(OpKind::MatMul, "mm", {x, wt});
  b.output(b.bn("bn1", y, 4));
  auto g = b.finish();
  auto r = rewriteAndCompare(*g);
  EXPECT_EQ(countOps(*r.g, OpKind::ScaleShift), 0);
  EXPECT_EQ(countOps(*r.g, OpKind::Transpose), 0);  // the folded weight replaced W^T
  EXPECT_TRUE(mentions(decisionFor(r.report, "bn1").action, "folded backward into MatMul 'mm'"));
}

TEST(BnBackward, WeightsSharedWithAnotherConvAreCloned) {
  Builder b;
  Value* x = b.input("x", {2, 3, 6, 6});
  Value* w = b.rand("w", {3, 3, 3, 3});
  Value* c1 = b.op(OpKind::Conv, "conv1", {x, w});
  Value* y1 = b.bn("bn1", c1, 3);
  Value* c2 = b.op(OpKind::Conv, "conv2", {x, w});
  b.output(y1);
  b.output(c2);
  auto g = b.finish();
  auto r = rewriteAndCompare(*g);
  EXPECT_EQ(countOps(*r.g, OpKind::ScaleShift), 0);
  // conv2 still reads the original weights.
  for (auto& n : r.g->nodes()) {
    if (n->name == "conv2") {
      EXPECT_EQ(n->inputs[1]->name, "w");
    }
  }
}

TEST(BnBackward, BatchNormOutputIsGraphOutputStillFolds) {
  Builder b;
  Value* x = b.input("x", {2, 3, 5, 5});
  Value* c = b.conv("conv1", x, 3, 4, {3, 3});
  Value* y = b.bn("bn1", c, 4);
  b.output(y);
  b.output(b.op(OpKind::Relu, "relu", {y}));
  auto g = b.finish();
  auto r = rewriteAndCompare(*g);
  EXPECT_EQ(countOps(*r.g, OpKind::ScaleShift), 0);
  EXPECT_TRUE(mentions(decisionFor(r.report, "bn1").action, "folded backward into Conv 'conv1'"));
}

// ---- refusals (the ScaleShift stays, the reason names the failed condition)

TEST(BnBackward, ConvOutputWithTwoConsumersIsNotFolded) {
  Builder b;
  Value* x = b.input("x", {2, 3, 5, 5});
  Value* c = b.conv("conv1", x, 3, 4, {3, 3});
  b.output(b.bn("bn1", c, 4));
  b.output(b.op(OpKind::Relu, "side", {c}));
  auto g = b.finish();
  auto r = rewriteAndCompare(*g);
  EXPECT_EQ(countOps(*r.g, OpKind::ScaleShift), 1);
  const BnDecision d = decisionFor(r.report, "bn1");
  EXPECT_TRUE(mentions(d.action, "kept as ScaleShift")) << d.action;
  EXPECT_TRUE(mentions(d.reason, "has 2 consumers")) << d.reason;
}

TEST(BnBackward, NonConstantWeightsAreNotFolded) {
  Builder b;
  Value* x = b.input("x", {2, 3, 5, 5});
  Value* w = b.input("w", {4, 3, 3, 3});
  Value* c = b.op(OpKind::Conv, "conv1", {x, w});
  b.output(b.bn("bn1", c, 4));
  auto g = b.finish();
  auto r = rewriteAndCompare(*g);
  EXPECT_EQ(countOps(*r.g, OpKind::ScaleShift), 1);
  EXPECT_TRUE(mentions(decisionFor(r.report, "bn1").reason, "weights of Conv 'conv1' are not constant"));
}

TEST(BnBackward, MatMulOnNCLWithChannelAxisOneIsWrongAxis) {
  Builder b;
  Value* x = b.input("x", {2, 4, 5});
  Value* y = b.op(OpKind::MatMul, "mm", {x, b.rand("w", {5, 6})});  // [2,4,6]
  b.output(b.bn("bn1", y, 4));
  auto g = b.finish();
  auto r = rewriteAndCompare(*g);
  EXPECT_EQ(countOps(*r.g, OpKind::ScaleShift), 1);
  EXPECT_TRUE(mentions(decisionFor(r.report, "bn1").reason, "is not the output-feature (last) axis"))
      << decisionFor(r.report, "bn1").reason;
}

TEST(BnBackward, BnAfterReluIsKeptWithReason) {
  Builder b;
  Value* x = b.input("x", {2, 3, 5, 5});
  Value* c = b.conv("conv1", x, 3, 4, {3, 3});
  Value* r1 = b.op(OpKind::Relu, "r1", {c});
  b.output(b.bn("bn1", r1, 4));
  auto g = b.finish();
  auto r = rewriteAndCompare(*g);
  EXPECT_EQ(countOps(*r.g, OpKind::ScaleShift), 1);
  const BnDecision d = decisionFor(r.report, "bn1");
  EXPECT_EQ(d.action, "kept as ScaleShift fused after Relu 'r1'");
  EXPECT_TRUE(mentions(d.reason, "backward: producer Relu 'r1' is not a Conv")) << d.reason;
  EXPECT_TRUE(mentions(d.reason, "forward: ")) << d.reason;
}

TEST(BnBackward, BnOnGraphInputHasNoProducer) {
  Builder b;
  Value* x = b.input("x", {2, 3, 5, 5});
  Value* y = b.bn("bn1", x, 3);
  b.output(b.op(OpKind::Sigmoid, "sig", {y}));
  auto g = b.finish();
  auto r = rewriteAndCompare(*g);
  const BnDecision d = decisionFor(r.report, "bn1");
  EXPECT_EQ(d.action, "kept as ScaleShift fused after graph input 'x'");
  EXPECT_TRUE(mentions(d.reason, "no producer")) << d.reason;
}

}  // namespace
}  // namespace kiln::bntest
