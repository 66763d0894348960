#include "kiln/passes/pipeline.h"

#include <gtest/gtest.h>

#include "graph_builder.h"
#include "kiln/eval/evaluator.h"
#include "kiln/ir/shape_inference.h"

namespace kiln {
namespace {

using test::dims;
using test::countKind;
using test::GraphBuilder;
using test::maxAbsDiff;
using test::sym;

TEST(Pipeline, PassOrder) {
  EXPECT_EQ(pipelinePassNames(),
            (std::vector<std::string>{"simplifyShapes", "constantFold", "simplifyShapes",
                                      "eliminateDeadCode", "lowerTrainingBatchNorm",
                                      "batchNormToScaleShift", "foldScaleShiftBackward",
                                      "foldScaleShiftForward", "constantFold",
                                      "eliminateDeadCode"}));
}

// x -> Conv -> BN -> Relu -> view(batch, -1) -> MatMul(Transpose(W)) -> y
struct ConvNet {
  GraphBuilder b;
  Value* y;
  ConvNet() {
    Value* x = b.input("x", dims({sym("batch"), 2, 5, 5}));
    ConvAttrs ca;
    ca.pads = {1, 1, 1, 1};
    Value* c = b.op(OpKind::Conv, "conv", {x, b.weights("cw", {3, 2, 3, 3}, 1), b.weights("cb", {3}, 2)}, ca);
    Tensor var = test::randomTensor({3}, 3, 0.5f, 1.5f);
    Value* bn = b.op(OpKind::BatchNormalization, "bn",
                     {c, b.weights("gamma", {3}, 4), b.weights("beta", {3}, 5),
                      b.weights("mean", {3}, 6), b.constant("var", var)},
                     BatchNormAttrs{});
    Value* r = b.op(OpKind::Relu, "relu", {bn});
    Value* shape = b.op(OpKind::Shape, "shape", {r});
    Value* n = b.op(OpKind::Gather, "gather", {shape, b.scalarInt("zero", 0)}, AxisAttrs{0});
    Value* n1 = b.op(OpKind::Unsqueeze, "unsqueeze", {n, b.ints("axes", {0})});
    Value* target = b.op(OpKind::Concat, "concat", {n1, b.ints("minus_one", {-1})}, AxisAttrs{0});
    Value* flat = b.op(OpKind::Reshape, "flatten", {r, target}, ReshapeAttrs{});
    Value* wt = b.op(OpKind::Transpose, "wt", {b.weights("fw", {4, 75}, 7)}, TransposeAttrs{});
    y = b.op(OpKind::MatMul, "fc", {flat, wt});
    b.output(y);
    inferShapes(b.g);
  }
};

void expectClose(const Graph& before, const Graph& after, const std::string& out, double tol) {
  for (int64_t batch : {1, 3}) {
    TensorMap in{{"x", test::randomTensor({batch, 2, 5, 5}, 10 + static_cast<uint32_t>(batch))}};
    Tensor want = evaluate(before, in, Precision::F64).at(out);
    Tensor got = evaluate(after, in, Precision::F64).at(out);
    EXPECT_LE(maxAbsDiff(want, got), tol) << "batch " << batch;
  }
}

TEST(Pipeline, WithoutBatchNormFoldingOnlyGenericPassesRewrite) {
  ConvNet net;
  auto original = net.b.g.clone();
  PassOptions o;
  o.foldBatchNorm = false;
  o.verifyEachPass = true;
  PassReport r;
  runPipeline(net.b.g, o, r);
  EXPECT_EQ(countKind(net.b.g, OpKind::BatchNormalization), 1);
  EXPECT_EQ(countKind(net.b.g, OpKind::Transpose), 0);
  EXPECT_EQ(countKind(net.b.g, OpKind::Shape), 0);
  EXPECT_EQ(countKind(net.b.g, OpKind::Concat), 0);
  EXPECT_EQ(shapeToString(net.y->shape), "[batch,4]");
  // The BN is still accounted for: --explain says why nothing happened to it.
  ASSERT_EQ(r.bn.size(), 1u);
  EXPECT_NE(r.bn[0].action.find("BatchNorm folding is disabled"), std::string::npos) << r.bn[0].action;
  expectClose(*original, net.b.g, net.y->name, 0.0);
}

TEST(Pipeline, DefaultPipelineKeepsValues) {
  ConvNet net;
  auto original = net.b.g.clone();
  PassOptions o;
  o.verifyEachPass = true;
  PassReport r;
  runPipeline(net.b.g, o, r);
  EXPECT_EQ(countKind(net.b.g, OpKind::BatchNormalization), 0);
  EXPECT_EQ(countKind(net.b.g, OpKind::Shape), 0);
  EXPECT_EQ(shapeToString(net.y->shape), "[batch,4]");
  // Folded weights are stored in float32: each carries a rounding of ~6e-8 relative.
  expectClose(*original, net.b.g, net.y->name, 1e-5);
}

}  // namespace
}  // namespace kiln
