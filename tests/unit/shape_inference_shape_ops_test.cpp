// Shape inference for data-movement ops, symbolicContent through shape subgraphs, and the
// symbolic batch dim through whole networks.
#include <gtest/gtest.h>

#include "graph_builder.h"
#include "kiln/ir/shape_inference.h"

namespace kiln {
namespace {

using test::dims;
using test::mentions;
using test::shapeStr;
using test::errorMessage;
using test::GraphBuilder;
using test::sym;

// Content rendered like a shape; literal -1 shows as "-1".
std::string contentStr(const Value* v) {
  if (!v->symbolicContent) return "none";
  std::string s = "[";
  for (size_t i = 0; i < v->symbolicContent->size(); ++i) {
    const Dim& d = (*v->symbolicContent)[i];
    s += (i ? "," : "") + (d.symbol.empty() ? std::to_string(d.value) : d.symbol);
  }
  return s + "]";
}

TEST(ShapeInferenceShapeOps, Flatten) {
  GraphBuilder b;
  Value* x = b.input("x", dims({sym("N"), 16, 4, 4}));
  Value* f1 = b.op(OpKind::Flatten, "f1", {x}, AxisAttrs{1});
  Node* fl = b.node(OpKind::Flatten, "fl", {x}, AxisAttrs{-1});
  Value* f0 = b.op(OpKind::Flatten, "f0", {x}, AxisAttrs{0});
  Value* f4 = b.op(OpKind::Flatten, "f4", {x}, AxisAttrs{4});
  inferShapes(b.g);
  EXPECT_EQ(shapeStr(f1), "[N,256]");
  EXPECT_EQ(shapeStr(fl->outputs[0]), "[?,4]");  // N * 64 is not a single symbol
  EXPECT_EQ(fl->as<AxisAttrs>().axis, 3);
  EXPECT_EQ(shapeStr(f0), "[1,?]");
  EXPECT_EQ(shapeStr(f4), "[?,1]");
}

TEST(ShapeInferenceShapeOps, ReshapeWithConstantTargets) {
  GraphBuilder b;
  Value* x = b.input("x", dims({sym("N"), 16, 4, 4}));
  Value* copy = b.op(OpKind::Reshape, "copy", {x, b.ints("t1", {0, -1})}, ReshapeAttrs{});
  Value* s = b.input("s", dims({2, 3, 4}));
  Value* inferred = b.op(OpKind::Reshape, "inf", {s, b.ints("t2", {-1, 8})}, ReshapeAttrs{});
  Value* zero = b.op(OpKind::Reshape, "zero", {b.input("e", dims({0, 3})), b.ints("t3", {3, 0})},
                     ReshapeAttrs{true});
  Value* batchAgain = b.op(OpKind::Reshape, "again", {copy, b.ints("t4", {-1, 16, 16})}, ReshapeAttrs{});
  inferShapes(b.g);
  EXPECT_EQ(shapeStr(copy), "[N,256]");
  EXPECT_EQ(shapeStr(inferred), "[3,8]");
  EXPECT_EQ(shapeStr(zero), "[3,0]");
  EXPECT_EQ(shapeStr(batchAgain), "[N,16,16]");  // N*256 / 256
}

TEST(ShapeInferenceShapeOps, ReshapeErrors) {
  auto fails = [](std::vector<int64_t> target, const std::string& part) {
    GraphBuilder b;
    b.op(OpKind::Reshape, "rs", {b.input("x", dims({2, 3, 4})), b.ints("t", target)}, ReshapeAttrs{});
    std::string msg = errorMessage([&] { inferShapes(b.g); });
    EXPECT_TRUE(mentions(msg, "Reshape node 'rs'")) << msg;
    EXPECT_TRUE(mentions(msg, part)) << msg;
  };
  fails({5, 5}, "24 elements");
  fails({-1, -1}, "more than one -1");
  fails({5, -1}, "not divisible");
  fails({0, 0, 0, 0}, "copies dim 3");
}

TEST(ShapeInferenceShapeOps, TransposePadConcatSqueeze) {
  GraphBuilder b;
  Value* x = b.input("x", dims({sym("N"), 3, 4, 5}));
  Node* rev = b.node(OpKind::Transpose, "rev", {x}, TransposeAttrs{});
  Value* perm = b.op(OpKind::Transpose, "perm", {x}, TransposeAttrs{{0, 2, 3, 1}});
  Value* padded = b.op(OpKind::Pad, "pad", {x, b.ints("p", {0, 0, 1, 2, 0, 0, 3, 4}), nullptr, nullptr},
                       PadAttrs{});
  Value* cropped = b.op(OpKind::Pad, "crop",
                        {x, b.ints("p2", {-1, 2}), nullptr, b.ints("axes", {-1})}, PadAttrs{});
  Value* cat = b.op(OpKind::Concat, "cat", {x, b.input("y", dims({sym("N"), 3, 4, 2}))}, AxisAttrs{-1});
  Value* unsq = b.op(OpKind::Unsqueeze, "unsq", {x, b.ints("ua", {0, -1})});
  Value* sq = b.op(OpKind::Squeeze, "sq", {b.input("z", dims({1, sym("N"), 1, 7})), b.ints("sa", {0, 2})});
  inferShapes(b.g);
  EXPECT_EQ(shapeStr(rev->outputs[0]), "[5,4,3,N]");
  EXPECT_EQ(rev->as<TransposeAttrs>().perm, (std::vector<int64_t>{3, 2, 1, 0}));
  EXPECT_EQ(shapeStr(perm), "[N,4,5,3]");
  EXPECT_EQ(shapeStr(padded), "[N,3,8,11]");  // 4+1+3, 5+2+4
  EXPECT_EQ(shapeStr(cropped), "[N,3,4,6]");
  EXPECT_EQ(shapeStr(cat), "[N,3,4,7]");
  EXPECT_EQ(shapeStr(unsq), "[1,N,3,4,5,1]");
  EXPECT_EQ(shapeStr(sq), "[N,7]");

  GraphBuilder c;
  c.op(OpKind::Concat, "cat2", {c.input("a", dims({2, 3})), c.input("b", dims({4, 3}))}, AxisAttrs{1});
  std::string msg = errorMessage([&] { inferShapes(c.g); });
  EXPECT_TRUE(mentions(msg, "Concat node 'cat2'")) << msg;
  EXPECT_TRUE(mentions(msg, "'b' [4,3]")) << msg;

  GraphBuilder d;
  d.op(OpKind::Squeeze, "sq2", {d.input("a", dims({2, 3})), d.ints("ax", {0})});
  EXPECT_TRUE(mentions(errorMessage([&] { inferShapes(d.g); }), "cannot squeeze axis 0"));

  GraphBuilder e;
  e.op(OpKind::Transpose, "tr", {e.input("a", dims({2, 3}))}, TransposeAttrs{{0, 0}});
  EXPECT_TRUE(mentions(errorMessage([&] { inferShapes(e.g); }), "not a permutation"));
}

TEST(ShapeInferenceShapeOps, ShapeAndGatherTrackContent) {
  GraphBuilder b;
  Value* x = b.input("x", dims({sym("N"), 3, 28, 28}));
  Value* shape = b.op(OpKind::Shape, "shape", {x});
  Value* tail = b.op(OpKind::Shape, "tail", {x}, ShapeAttrs{-2, std::nullopt});
  Value* batch = b.op(OpKind::Gather, "g0", {shape, b.scalarInt("i0", 0)}, AxisAttrs{0});
  Value* hw = b.op(OpKind::Gather, "ghw", {shape, b.ints("i23", {-2, -1})}, AxisAttrs{0});
  Value* area = b.op(OpKind::Mul, "area",
                     {b.op(OpKind::Gather, "g2", {shape, b.scalarInt("i2", 2)}, AxisAttrs{0}),
                      b.op(OpKind::Gather, "g3", {shape, b.scalarInt("i3", 3)}, AxisAttrs{0})});
  Value* rows = b.op(OpKind::Gather, "rows", {b.input("data", dims({5, 7})), b.ints("idx", {1, 1, 2})},
                     AxisAttrs{-2});
  inferShapes(b.g);
  EXPECT_EQ(shape->dtype, DType::I64);
  EXPECT_EQ(shapeStr(shape), "[4]");
  EXPECT_EQ(contentStr(shape), "[N,3,28,28]");
  EXPECT_EQ(contentStr(tail), "[28,28]");
  EXPECT_EQ(shapeStr(batch), "[]");
  EXPECT_EQ(contentStr(batch), "[N]");
  EXPECT_EQ(contentStr(hw), "[28,28]");
  EXPECT_EQ(contentStr(area), "[784]");
  EXPECT_EQ(shapeStr(rows), "[3,7]");
  EXPECT_EQ(contentStr(rows), "none");

  GraphBuilder c;
  c.op(OpKind::Gather, "gx", {c.input("d", dims({5})), c.ints("i", {5})}, AxisAttrs{0});
  std::string msg = errorMessage([&] { inferShapes(c.g); });
  EXPECT_TRUE(mentions(msg, "Gather node 'gx': index 5")) << msg;
}

// x.view(x.size(0), -1) as PyTorch exports it: Shape -> Gather -> Unsqueeze -> Concat -> Reshape.
TEST(ShapeInferenceShapeOps, DynamicReshapeSubgraphKeepsBatchSymbol) {
  GraphBuilder b;
  Value* x = b.input("x", dims({sym("batch"), 16, 4, 4}));
  Value* shape = b.op(OpKind::Shape, "shape", {x});
  Value* n = b.op(OpKind::Gather, "gather", {shape, b.scalarInt("zero", 0)}, AxisAttrs{0});
  Value* n1 = b.op(OpKind::Unsqueeze, "unsqueeze", {n, b.ints("axes", {0})});
  Value* target = b.op(OpKind::Concat, "concat", {n1, b.ints("minus_one", {-1})}, AxisAttrs{0});
  Value* y = b.op(OpKind::Reshape, "reshape", {x, target}, ReshapeAttrs{});
  inferShapes(b.g);
  EXPECT_EQ(contentStr(n1), "[batch]");
  EXPECT_EQ(shapeStr(target), "[2]");
  EXPECT_EQ(contentStr(target), "[batch,-1]");
  EXPECT_EQ(shapeStr(y), "[batch,256]");
}

// Conv -> Relu -> MaxPool -> Flatten -> Gemm -> Softmax keeps the batch symbol to the end.
TEST(ShapeInferenceShapeOps, SymbolicBatchThroughConvFlattenGemm) {
  GraphBuilder b;
  Value* x = b.input("x", dims({sym("N"), 1, 28, 28}));
  Value* c = b.op(OpKind::Conv, "conv", {x, b.weights("w", {4, 1, 3, 3}, 1), b.weights("cb", {4}, 2)},
                  ConvAttrs{});
  Value* r = b.op(OpKind::Relu, "relu", {c});
  PoolAttrs p;
  p.kernelShape = {2, 2};
  p.strides = {2, 2};
  Value* m = b.op(OpKind::MaxPool, "pool", {r}, p);
  Value* f = b.op(OpKind::Flatten, "flatten", {m}, AxisAttrs{1});
  Value* fc = b.op(OpKind::Gemm, "fc", {f, b.weights("fw", {10, 676}, 3), b.weights("fb", {10}, 4)},
                   GemmAttrs{1.0f, 1.0f, false, true});
  Value* sm = b.op(OpKind::Softmax, "softmax", {fc}, SoftmaxAttrs{});
  inferShapes(b.g);
  EXPECT_EQ(shapeStr(c), "[N,4,26,26]");
  EXPECT_EQ(shapeStr(m), "[N,4,13,13]");
  EXPECT_EQ(shapeStr(f), "[N,676]");
  EXPECT_EQ(shapeStr(fc), "[N,10]");
  EXPECT_EQ(shapeStr(sm), "[N,10]");
}

}  // namespace
}  // namespace kiln
