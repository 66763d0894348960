// foldScaleShiftForward: a BN that cannot fold into its producer folds into the Conv / Gemm /
// MatMul after it (through pools, Flatten, Reshape), and the refusals.
#include "bn_test_graphs.h"

namespace kiln::bntest {
namespace {

PoolAttrs pool2x2() {
  PoolAttrs p;
  p.kernelShape = {2, 2};
  p.strides = {2, 2};
  return p;
}

TEST(BnForward, BnOnInputIntoUnpaddedConv) {
  Builder b;
  Value* x = b.input("x", {2, 3, 6, 6});
  Value* y = b.bn("bn1", x, 3, false, true);
  b.output(b.conv("conv1", y, 3, 4, {3, 3}));
  auto g = b.finish();
  auto r = rewriteAndCompare(*g);
  EXPECT_EQ(countOps(*r.g, OpKind::ScaleShift), 0);
  EXPECT_EQ(countOps(*r.g, OpKind::Conv), 1);
  EXPECT_EQ(decisionFor(r.report, "bn1").action, "folded forward into Conv 'conv1'");
}

TEST(BnForward, BnAfterReluIntoGroupedConv) {
  Builder b;
  Value* x = b.input("x", {2, 4, 7, 7});
  Value* c = b.conv("conv0", x, 4, 4, {3, 3}, 1, true, {1, 1, 1, 1});
  Value* r1 = b.op(OpKind::Relu, "r1", {c});
  Value* y = b.bn("bn1", r1, 4, false, true);
  b.output(b.conv("conv1", y, 4, 6, {3, 3}, /*group=*/2, /*bias=*/false));
  auto g = b.finish();
  auto r = rewriteAndCompare(*g);
  EXPECT_EQ(countOps(*r.g, OpKind::ScaleShift), 0);
  EXPECT_EQ(countOps(*r.g, OpKind::Relu), 1);
  EXPECT_EQ(decisionFor(r.report, "bn1").action, "folded forward into Conv 'conv1'");
}

TEST(BnForward, ThroughPadAndAveragePoolIntoConv) {
  // nn.AvgPool2d exports as Pad(all zeros) + AveragePool.
  Builder b;
  Value* x = b.input("x", {2, 3, 8, 8});
  Value* r1 = b.op(OpKind::Relu, "r1", {x});
  Value* y = b.bn("bn1", r1, 3, false, true);
  Value* p = b.op(OpKind::Pad, "pad", {y, b.ints("pads", {0, 0, 0, 0, 0, 0, 0, 0})});
  Value* a = b.op(OpKind::AveragePool, "avg", {p}, pool2x2());
  b.output(b.conv("conv1", a, 3, 5, {3, 3}));
  auto g = b.finish();
  auto r = rewriteAndCompare(*g);
  EXPECT_EQ(countOps(*r.g, OpKind::ScaleShift), 0);
  EXPECT_EQ(decisionFor(r.report, "bn1").action,
            "folded forward into Conv 'conv1' through Pad 'pad', AveragePool 'avg'");
}

TEST(BnForward, PositiveMaxPoolFlattenGemm) {
  Builder b;
  Value* x = b.input("x", {2, 3, 6, 6});
  Value* r1 = b.op(OpKind::Relu, "r1", {x});
  Value* y = b.bn("bn1", r1, 3);  // positive scales
  Value* p = b.op(OpKind::MaxPool, "pool1", {y}, pool2x2());
  Value* f = b.op(OpKind::Flatten, "flat", {p}, AxisAttrs{1});
  GemmAttrs ga;
  ga.transB = true;
  ga.alpha = 0.5f;
  ga.beta = 2.0f;
  b.output(b.op(OpKind::Gemm, "fc1", {f, b.rand("w", {5, 27}), b.rand("c", {5})}, ga));
  auto g = b.finish();
  auto r = rewriteAndCompare(*g);
  EXPECT_EQ(countOps(*r.g, OpKind::ScaleShift), 0);
  EXPECT_EQ(countOps(*r.g, OpKind::MaxPool), 1);
  EXPECT_EQ(decisionFor(r.report, "bn1").action,
            "folded forward into Gemm 'fc1' through MaxPool 'pool1', Flatten 'flat'");
}

TEST(BnForward, GlobalAveragePoolReshapeMatMul) {
  Builder b;
  Value* x = b.input("x", {2, 4, 5, 5});
  Value* r1 = b.op(OpKind::Sigmoid, "s1", {x});
  Value* y = b.bn("bn1", r1, 4, false, true);
  Value* p = b.op(OpKind::GlobalAveragePool, "gap", {y});                // [2,4,1,1]
  Value* f = b.op(OpKind::Reshape, "rs", {p, b.ints("shape", {2, 4})});  // merges trailing 1s
  b.output(b.op(OpKind::MatMul, "mm", {f, b.rand("w", {4, 3})}));
  auto g = b.finish();
  auto r = rewriteAndCompare(*g);
  EXPECT_EQ(countOps(*r.g, OpKind::ScaleShift), 0);
  EXPECT_EQ(countOps(*r.g, OpKind::Add), 1);  // the shift's contribution as bias
  EXPECT_EQ(decisionFor(r.report, "bn1").action,
            "folded forward into MatMul 'mm' through GlobalAveragePool 'gap', Reshape 'rs'");
}

TEST(BnForward, Bn1dIntoGemmNoTransB) {
  Builder b;
  Value* x = b.input("x", {3, 6});
  Value* t = b.op(OpKind::Tanh, "t", {x});
  Value* y = b.bn("bn1", t, 6, false, true);
  b.output(b.op(OpKind::Gemm, "fc", {y, b.rand("w", {6, 2})}, GemmAttrs{}));
  auto g = b.finish();
  auto r = rewriteAndCompare(*g);
  EXPECT_EQ(countOps(*r.g, OpKind::ScaleShift), 0);
  EXPECT_EQ(decisionFor(r.report, "bn1").action, "folded forward into Gemm 'fc'");
}

// ---- refusals

TEST(BnForward, MaxPoolWithNegativeScaleIsKept) {
  Builder b;
  Value* x = b.input("x", {2, 2, 4, 4});
  Value* r1 = b.op(OpKind::Relu, "r1", {x});
  BatchNormAttrs a;
  Value* y = b.op(OpKind::BatchNormalization, "bn1",
                  {r1, b.values("s", {1.0, -1.0}, {2}), b.rand("bb", {2}), b.rand("m", {2}), b.rand("v", {2}, 0.5, 2)}, a);
  Value* p = b.op(OpKind::MaxPool, "pool1", {y}, pool2x2());
  b.output(b.conv("conv1", p, 2, 3, {2, 2}));
  auto g = b.finish();
  auto r = rewriteAndCompare(*g);
  EXPECT_EQ(countOps(*r.g, OpKind::ScaleShift), 1);
  const BnDecision d = decisionFor(r.report, "bn1");
  EXPECT_EQ(d.action, "kept as ScaleShift fused after Relu 'r1'");
  EXPECT_TRUE(mentions(d.reason, "forward: MaxPool 'pool1' needs positive scales (scale[1]")) << d.reason;
}

TEST(BnForward, PaddedConvIsKept) {
  Builder b;
  Value* x = b.input("x", {2, 3, 6, 6});
  Value* r1 = b.op(OpKind::Relu, "r1", {x});
  Value* y = b.bn("bn1", r1, 3);
  b.output(b.conv("conv2", y, 3, 4, {3, 3}, 1, true, {1, 1, 1, 1}));
  auto g = b.finish();
  auto r = rewriteAndCompare(*g);
  EXPECT_EQ(countOps(*r.g, OpKind::ScaleShift), 1);
  const BnDecision d = decisionFor(r.report, "bn1");
  EXPECT_TRUE(mentions(d.reason, "backward: producer Relu 'r1' is not a Conv")) << d.reason;
  EXPECT_TRUE(mentions(d.reason, "forward: Conv 'conv2' has non-zero padding")) << d.reason;
}

TEST(BnForward, TwoConsumersAreKept) {
  Builder b;
  Value* x = b.input("x", {2, 3, 6, 6});
  Value* r1 = b.op(OpKind::Relu, "r1", {x});
  Value* y = b.bn("bn1", r1, 3);
  Value* c1 = b.conv("conv1", y, 3, 4, {3, 3});
  Value* c2 = b.conv("conv2", y, 3, 4, {3, 3});
  b.output(b.op(OpKind::Add, "sum", {c1, c2}));
  auto g = b.finish();
  auto r = rewriteAndCompare(*g);
  EXPECT_EQ(countOps(*r.g, OpKind::ScaleShift), 1);
  EXPECT_TRUE(mentions(decisionFor(r.report, "bn1").reason, "has 2 consumers"));
}

TEST(BnForward, NonConstantWeightsAreKept) {
  Builder b;
  Value* x = b.input("x", {2, 3, 6, 6});
  Value* w = b.input("w", {4, 3, 3, 3});
  Value* r1 = b.op(OpKind::Relu, "r1", {x});
  Value* y = b.bn("bn1", r1, 3);
  b.output(b.op(OpKind::Conv, "conv1", {y, w}));
  auto g = b.finish();
  auto r = rewriteAndCompare(*g);
  EXPECT_EQ(countOps(*r.g, OpKind::ScaleShift), 1);
  EXPECT_TRUE(mentions(decisionFor(r.report, "bn1").reason, "forward: weights of Conv 'conv1' are not constant"));
}

TEST(BnForward, BnOutputThatIsAGraphOutputIsKept) {
  Builder b;
  Value* x = b.input("x", {2, 3, 6, 6});
  Value* r1 = b.op(OpKind::Relu, "r1", {x});
  Value* y = b.bn("bn1", r1, 3);
  b.output(y);
  b.output(b.conv("conv1", y, 3, 4, {3, 3}));
  auto g = b.finish();
  auto r = rewriteAndCompare(*g);
  EXPECT_EQ(countOps(*r.g, OpKind::ScaleShift), 1);
  EXPECT_TRUE(mentions(decisionFor(r.report, "bn1").reason, "is a graph output"));
}

TEST(BnForward, AveragePoolCountingPaddingIsKept) {
  Builder b;
  Value* x = b.input("x", {2, 3, 6, 6});
  Value* r1 = b.op(OpKind::Relu, "r1", {x});
  Value* y = b.bn("bn1", r1, 3);
  PoolAttrs pa = pool2x2();
  pa.pads = {1, 1, 1, 1};
  pa.countIncludePad = true;
  Value* p = b.op(OpKind::AveragePool, "avg", {y}, pa);
  b.output(b.conv("conv1", p, 3, 4, {2, 2}));
  auto g = b.finish();
  auto r = rewriteAndCompare(*g);
  EXPECT_EQ(countOps(*r.g, OpKind::ScaleShift), 1);
  EXPECT_TRUE(mentions(decisionFor(r.report, "bn1").reason, "AveragePool 'avg' counts padding"));
}

TEST(BnForward, FlattenAtOtherAxisIsKept) {
  Builder b;
  Value* x = b.input("x", {2, 3, 4, 4});
  Value* r1 = b.op(OpKind::Relu, "r1", {x});
  Value* y = b.bn("bn1", r1, 3);
  Value* f = b.op(OpKind::Flatten, "flat", {y}, AxisAttrs{2});  // [6, 16]
  b.output(b.op(OpKind::MatMul, "mm", {f, b.rand("w", {16, 2})}));
  auto g = b.finish();
  auto r = rewriteAndCompare(*g);
  EXPECT_EQ(countOps(*r.g, OpKind::ScaleShift), 1);
  EXPECT_TRUE(mentions(decisionFor(r.report, "bn1").reason, "Flatten 'flat' at axis 2"));
}

// Issue 9 (found by ModelFuzz): folding through a Flatten materialises one scale per merged
// feature, so a legal but huge trailing extent (4 x 2^40 features here) made the pass try to
// allocate terabytes. Beyond 2^24 features the fold is declined, with the reason.
TEST(BnForward, FlattenIntoTooManyFeaturesIsDeclined) {
  Builder b;
  Value* x = b.input("x", {1, 4, int64_t{1} << 20, int64_t{1} << 20});
  Value* y = b.bn("bn1", b.op(OpKind::Relu, "r1", {x}), 4);
  b.output(b.op(OpKind::Relu, "r2", {b.op(OpKind::Flatten, "flat", {y}, AxisAttrs{1})}));
  auto g = b.finish();
  const PassReport report = runBnPasses(*g);
  EXPECT_EQ(countOps(*g, OpKind::ScaleShift), 1);
  EXPECT_TRUE(mentions(decisionFor(report, "bn1").reason, "more than 2^24 features")) << decisionFor(report, "bn1").reason;
}

TEST(BnForward, ConsumerThatIsNotLinearIsKept) {
  Builder b;
  Value* x = b.input("x", {2, 3, 4, 4});
  Value* r1 = b.op(OpKind::Relu, "r1", {x});
  Value* y = b.bn("bn1", r1, 3);
  b.output(b.op(OpKind::Sigmoid, "sig", {y}));
  auto g = b.finish();
  auto r = rewriteAndCompare(*g);
  EXPECT_EQ(countOps(*r.g, OpKind::ScaleShift), 1);
  EXPECT_TRUE(mentions(decisionFor(r.report, "bn1").reason, "consumer Sigmoid 'sig' is not a Conv/Gemm/MatMul"));
}

}  // namespace
}  // namespace kiln::bntest
