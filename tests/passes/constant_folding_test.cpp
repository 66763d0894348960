#include "kiln/passes/constant_folding.h"

#include <gtest/gtest.h>

#include "graph_builder.h"
#include "kiln/eval/evaluator.h"
#include "kiln/ir/shape_inference.h"
#include "kiln/ir/verifier.h"

namespace kiln {
namespace {

using test::dims;
using test::countKind;
using test::GraphBuilder;
using test::maxAbsDiff;
using test::sym;

bool logMentions(const PassReport& r, const std::string& part) {
  for (const std::string& line : r.log)
    if (line.find(part) != std::string::npos) return true;
  return false;
}

struct Folder {
  PassOptions options;
  PassReport report;
  PassContext ctx{options, report};
  bool run(Graph& g) {
    inferShapes(g);
    bool changed = constantFold(g, ctx);
    verify(g);
    return changed;
  }
};

// PyTorch's Linear as exported by older opsets: MatMul(x, Transpose(W)).
TEST(ConstantFold, WeightTransposeMatchesUnfoldedGraph) {
  GraphBuilder b;
  Value* x = b.input("x", dims({sym("N"), 4}));
  Value* wt = b.op(OpKind::Transpose, "wt", {b.weights("w", {3, 4}, 7)}, TransposeAttrs{});
  Value* y = b.op(OpKind::MatMul, "mm", {x, wt});
  b.output(y);
  inferShapes(b.g);
  auto original = b.g.clone();

  Folder f;
  EXPECT_TRUE(f.run(b.g));
  EXPECT_EQ(countKind(b.g, OpKind::Transpose), 0);
  Value* folded = b.g.nodes().front()->inputs[1];
  ASSERT_TRUE(folded->isConstant());
  EXPECT_EQ(folded->name, "wt_out");  // the folded value keeps its name
  EXPECT_EQ(folded->constant->dims, (std::vector<int64_t>{4, 3}));
  EXPECT_TRUE(logMentions(f.report, "[constantFold] folded Transpose node 'wt'"));

  for (int64_t n : {1, 5}) {
    TensorMap in{{"x", test::randomTensor({n, 4}, 11)}};
    Tensor want = evaluate(*original, in, Precision::F64).at(y->name);
    Tensor got = evaluate(b.g, in, Precision::F64).at(y->name);
    EXPECT_EQ(maxAbsDiff(want, got), 0.0) << "batch " << n;
  }
}

// Shape -> Gather -> Unsqueeze -> Concat on a static shape becomes one constant target.
TEST(ConstantFold, StaticShapeSubgraphBecomesConstant) {
  GraphBuilder b;
  Value* x = b.input("x", dims({2, 16, 4, 4}));
  Value* shape = b.op(OpKind::Shape, "shape", {x});
  Value* n = b.op(OpKind::Gather, "gather", {shape, b.scalarInt("zero", 0)}, AxisAttrs{0});
  Value* n1 = b.op(OpKind::Unsqueeze, "unsqueeze", {n, b.ints("axes", {0})});
  Value* target = b.op(OpKind::Concat, "concat", {n1, b.ints("minus_one", {-1})}, AxisAttrs{0});
  Value* y = b.op(OpKind::Reshape, "reshape", {x, target}, ReshapeAttrs{});
  b.output(y);
  inferShapes(b.g);
  auto original = b.g.clone();

  Folder f;
  EXPECT_TRUE(f.run(b.g));
  ASSERT_EQ(b.g.nodes().size(), 1u);
  const Node& reshape = *b.g.nodes().front();
  ASSERT_TRUE(reshape.inputs[1]->isConstant());
  EXPECT_EQ(reshape.inputs[1]->constant->toInts(), (std::vector<int64_t>{2, -1}));
  EXPECT_EQ(shapeToString(y->shape), "[2,256]");

  TensorMap in{{"x", test::randomTensor({2, 16, 4, 4}, 3)}};
  Tensor want = evaluate(*original, in, Precision::F64).at(y->name);
  Tensor got = evaluate(b.g, in, Precision::F64).at(y->name);
  EXPECT_EQ(want.dims, (std::vector<int64_t>{2, 256}));
  EXPECT_EQ(maxAbsDiff(want, got), 0.0);
}

TEST(ConstantFold, Float64ConstantsFoldInDoublePrecision) {
  GraphBuilder b;
  Value* one = b.constant("one", Tensor::fromDoubles({1.0}, {1}));
  Value* tiny = b.constant("tiny", Tensor::fromDoubles({1e-12}, {1}));
  Value* sum = b.op(OpKind::Add, "sum", {one, tiny});
  b.output(b.op(OpKind::Mul, "scaled", {b.input("x", dims({1}), DType::F64), sum}));
  Folder f;
  EXPECT_TRUE(f.run(b.g));
  ASSERT_TRUE(sum->isConstant());
  EXPECT_EQ(sum->dtype, DType::F64);
  EXPECT_EQ(sum->constant->getDouble(0), 1.0 + 1e-12);  // lost entirely in float32
}

TEST(ConstantFold, LeavesStatefulRunTimeAndHugeNodesAlone) {
  GraphBuilder b;
  Value* x = b.input("x", dims({2, 3}));
  std::vector<Value*> bnIn{b.weights("bx", {4, 3}, 1)};
  for (int i = 0; i < 4; ++i) bnIn.push_back(b.weights("p" + std::to_string(i), {3}, 2 + i));
  Node* bn = b.node(OpKind::BatchNormalization, "bn_train", bnIn, BatchNormAttrs{1e-5, 0.9, true}, 3);
  Value* relu = b.op(OpKind::Relu, "relu", {x});
  // [4096,1] + [1,4097] float32 is 4096*4097*4 bytes > 64 MiB.
  Value* big = b.op(OpKind::Add, "big", {b.weights("col", {4096, 1}, 8), b.weights("row", {1, 4097}, 9)});
  for (Value* v : {bn->outputs[0], relu, big}) b.output(v);
  Folder f;
  EXPECT_FALSE(f.run(b.g));
  EXPECT_EQ(b.g.nodes().size(), 3u);
  EXPECT_TRUE(logMentions(f.report, "kept Add node 'big'"));
  EXPECT_TRUE(logMentions(f.report, "64 MiB"));
}

TEST(ConstantFold, ShapeOfStaticValueFoldsEvenWithRunTimeInput) {
  GraphBuilder b;
  Value* x = b.input("x", dims({3, 5}));
  Value* shape = b.op(OpKind::Shape, "shape", {b.op(OpKind::Relu, "relu", {x})});
  b.output(shape);
  b.output(b.op(OpKind::Shape, "dyn", {b.input("d", dims({sym("N"), 5}))}));
  Folder f;
  EXPECT_TRUE(f.run(b.g));
  ASSERT_TRUE(shape->isConstant());
  EXPECT_EQ(shape->constant->toInts(), (std::vector<int64_t>{3, 5}));
  EXPECT_EQ(countKind(b.g, OpKind::Shape), 1);  // the symbolic one stays
}

}  // namespace
}  // namespace kiln
