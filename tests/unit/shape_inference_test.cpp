// Shape inference: broadcasting, elementwise ops, matrix products, normalisation, dtypes.
// Expected shapes follow by hand from the ONNX formulas quoted next to each case.
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

TEST(ShapeInference, BroadcastKeepsSymbolsAgainstOne) {
  GraphBuilder b;
  Value* x = b.input("x", dims({sym("N"), 1, 5}));
  Value* y = b.input("y", dims({3, 1}));
  Value* z = b.input("z", dims({sym("N"), 4, 1}));
  Value* w = b.input("w", dims({sym("M"), 1, 1}));
  Value* s = b.op(OpKind::Add, "add", {x, y});
  Value* t = b.op(OpKind::Mul, "mul", {x, z});
  Value* u = b.op(OpKind::Sub, "sub", {x, w});
  Value* v = b.op(OpKind::Div, "div", {b.input("k", dims({7, 1, 1})), w});
  inferShapes(b.g);
  EXPECT_EQ(shapeStr(s), "[N,3,5]");
  EXPECT_EQ(shapeStr(t), "[N,4,5]");
  EXPECT_EQ(shapeStr(u), "[?,1,5]");  // N vs M: either may be 1
  EXPECT_EQ(shapeStr(v), "[7,1,1]");  // M against 7 must be 7 (or 1)
}

TEST(ShapeInference, BroadcastMismatchNamesNodeAndValues) {
  GraphBuilder b;
  b.op(OpKind::Add, "add1", {b.input("a", dims({2, 3})), b.input("c", dims({4}))});
  std::string msg = errorMessage([&] { inferShapes(b.g); });
  EXPECT_TRUE(mentions(msg, "Add node 'add1'")) << msg;
  EXPECT_TRUE(mentions(msg, "'a' [2,3]")) << msg;
  EXPECT_TRUE(mentions(msg, "'c' [4]")) << msg;
}

TEST(ShapeInference, UnaryOpsKeepShapeAndDType) {
  GraphBuilder b;
  Value* x = b.input("x", dims({sym("N"), 10}), DType::F64);
  Value* r = b.op(OpKind::Relu, "r", {x});
  Value* e = b.op(OpKind::Exp, "e", {r});
  Value* c = b.op(OpKind::Clip, "c", {e, b.constant("lo", Tensor::fromDoubles({0.0}, {})), nullptr});
  Value* sm = b.op(OpKind::Softmax, "sm", {c}, SoftmaxAttrs{-1, false});
  inferShapes(b.g);
  for (Value* v : {r, e, c, sm}) {
    EXPECT_EQ(shapeStr(v), "[N,10]");
    EXPECT_EQ(v->dtype, DType::F64);
  }
  EXPECT_EQ(b.g.nodes().back()->as<SoftmaxAttrs>().axis, 1);
}

TEST(ShapeInference, FloatOpRejectsIntegerInput) {
  GraphBuilder b;
  b.op(OpKind::Sigmoid, "sig", {b.input("idx", dims({3}), DType::I64)});
  std::string msg = errorMessage([&] { inferShapes(b.g); });
  EXPECT_TRUE(mentions(msg, "Sigmoid node 'sig'")) << msg;
  EXPECT_TRUE(mentions(msg, "'idx'")) << msg;
  EXPECT_TRUE(mentions(msg, "int64")) << msg;
}

TEST(ShapeInference, MixedFloatDTypesRejected) {
  GraphBuilder b;
  b.op(OpKind::Add, "mix", {b.input("a", dims({3})), b.input("d", dims({3}), DType::F64)});
  std::string msg = errorMessage([&] { inferShapes(b.g); });
  EXPECT_TRUE(mentions(msg, "Add node 'mix'")) << msg;
  EXPECT_TRUE(mentions(msg, "float64")) << msg;
}

TEST(ShapeInference, CastDropoutIdentity) {
  GraphBuilder b;
  Value* x = b.input("x", dims({sym("N"), 4}));
  Value* c = b.op(OpKind::Cast, "cast", {x}, CastAttrs{DType::F64});
  Node* d = b.node(OpKind::Dropout, "drop", {x}, NoAttrs{}, 2);
  Value* i = b.op(OpKind::Identity, "id", {x});
  inferShapes(b.g);
  EXPECT_EQ(c->dtype, DType::F64);
  EXPECT_EQ(shapeStr(c), "[N,4]");
  EXPECT_EQ(shapeStr(d->outputs[0]), "[N,4]");
  EXPECT_EQ(d->outputs[1]->dtype, DType::Bool);
  EXPECT_EQ(shapeStr(i), "[N,4]");
}

TEST(ShapeInference, GemmWithTransposes) {
  GraphBuilder b;
  Value* x = b.input("x", dims({sym("N"), 784}));
  Value* y = b.op(OpKind::Gemm, "fc", {x, b.weights("w", {48, 784}, 1), b.weights("b", {48}, 2)},
                  GemmAttrs{1.0f, 1.0f, false, true});
  Value* at = b.input("at", dims({5, 3}));
  Value* z = b.op(OpKind::Gemm, "g2", {at, b.weights("w2", {5, 7}, 3), nullptr},
                  GemmAttrs{1.0f, 1.0f, true, false});
  inferShapes(b.g);
  EXPECT_EQ(shapeStr(y), "[N,48]");
  EXPECT_EQ(shapeStr(z), "[3,7]");
}

TEST(ShapeInference, GemmInnerMismatchAndBadBias) {
  GraphBuilder b;
  b.op(OpKind::Gemm, "fc1", {b.input("x", dims({2, 10})), b.weights("w", {12, 5}, 1), nullptr},
       GemmAttrs{});
  std::string msg = errorMessage([&] { inferShapes(b.g); });
  EXPECT_TRUE(mentions(msg, "Gemm node 'fc1'")) << msg;
  EXPECT_TRUE(mentions(msg, "inner dimensions")) << msg;
  EXPECT_TRUE(mentions(msg, "10")) << msg;
  EXPECT_TRUE(mentions(msg, "12")) << msg;

  GraphBuilder c;
  c.op(OpKind::Gemm, "fc2", {c.input("x", dims({2, 10})), c.weights("w", {10, 5}, 1),
                             c.weights("bias", {4}, 2)}, GemmAttrs{});
  msg = errorMessage([&] { inferShapes(c.g); });
  EXPECT_TRUE(mentions(msg, "'bias' [4]")) << msg;
}

TEST(ShapeInference, MatMulFollowsNumpy) {
  GraphBuilder b;
  Value* a3 = b.input("a3", dims({sym("B"), 3, 4}));
  Value* m = b.op(OpKind::MatMul, "m1", {a3, b.input("w", dims({4, 5}))});
  Value* v = b.op(OpKind::MatMul, "m2", {b.input("v", dims({4})), b.input("w2", dims({4, 5}))});
  Value* bb = b.op(OpKind::MatMul, "m3", {b.input("p", dims({2, 1, 3, 4})), b.input("q", dims({5, 4, 6}))});
  Value* mv = b.op(OpKind::MatMul, "m4", {b.input("r", dims({3, 4})), b.input("s", dims({4}))});
  inferShapes(b.g);
  EXPECT_EQ(shapeStr(m), "[B,3,5]");
  EXPECT_EQ(shapeStr(v), "[5]");
  EXPECT_EQ(shapeStr(bb), "[2,5,3,6]");
  EXPECT_EQ(shapeStr(mv), "[3]");

  GraphBuilder c;
  c.op(OpKind::MatMul, "mm", {c.input("a", dims({3, 4})), c.input("b", dims({5, 6}))});
  EXPECT_TRUE(mentions(errorMessage([&] { inferShapes(c.g); }), "MatMul node 'mm'"));
}

Node* addBatchNorm(GraphBuilder& b, const std::string& name, Value* x,
                   std::vector<int64_t> paramLengths, bool training) {
  std::vector<Value*> ins{x};
  const char* names[] = {"scale", "bias", "mean", "var"};
  for (int i = 0; i < 4; ++i) ins.push_back(b.weights(name + "." + names[i], {paramLengths[i]}, i));
  return b.node(OpKind::BatchNormalization, name, ins, BatchNormAttrs{1e-5, 0.9, training},
                training ? 3 : 1);
}

TEST(ShapeInference, BatchNormParameterLengths) {
  GraphBuilder b;
  Node* bn = addBatchNorm(b, "bn0", b.input("x", dims({sym("N"), 6, 5, 5})), {6, 6, 6, 6}, false);
  Node* tr = addBatchNorm(b, "bnt", b.input("t", dims({sym("N"), 3})), {3, 3, 3, 3}, true);
  inferShapes(b.g);
  EXPECT_EQ(shapeStr(bn->outputs[0]), "[N,6,5,5]");
  EXPECT_EQ(shapeStr(tr->outputs[0]), "[N,3]");
  EXPECT_EQ(shapeStr(tr->outputs[1]), "[3]");
  EXPECT_EQ(shapeStr(tr->outputs[2]), "[3]");

  GraphBuilder c;
  addBatchNorm(c, "bn1", c.input("x", dims({2, 6, 4, 4})), {5, 6, 6, 6}, false);
  std::string msg = errorMessage([&] { inferShapes(c.g); });
  EXPECT_TRUE(mentions(msg, "BatchNormalization node 'bn1': scale has 5 elements but input 'x' "
                            "has 6 channels")) << msg;
  EXPECT_TRUE(mentions(msg, "'bn1.scale'")) << msg;

  GraphBuilder d;
  addBatchNorm(d, "bn2", d.input("x", dims({2, 6})), {6, 6, 6, 7}, false);
  msg = errorMessage([&] { inferShapes(d.g); });
  EXPECT_TRUE(mentions(msg, "var has 7 elements")) << msg;
}

TEST(ShapeInference, ScaleShiftAndBatchNormTraining) {
  GraphBuilder b;
  Value* x = b.input("x", dims({sym("N"), 4, 3}));
  Value* ss = b.op(OpKind::ScaleShift, "ss", {x, b.weights("s", {3}, 1), b.weights("h", {3}, 2)},
                   ScaleShiftAttrs{-1});
  BatchNormTrainingAttrs bta;
  Node* bnt = b.node(OpKind::BatchNormTraining, "bnt",
                     {x, b.weights("g", {4}, 3), b.weights("be", {4}, 4), b.weights("rm", {4}, 5),
                      b.weights("rv", {4}, 6)}, bta, 3);
  inferShapes(b.g);
  EXPECT_EQ(shapeStr(ss), "[N,4,3]");
  EXPECT_EQ(b.g.nodes().front()->as<ScaleShiftAttrs>().axis, 2);
  EXPECT_EQ(shapeStr(bnt->outputs[0]), "[N,4,3]");
  EXPECT_EQ(shapeStr(bnt->outputs[1]), "[4]");
  EXPECT_EQ(shapeStr(bnt->outputs[2]), "[4]");

  GraphBuilder c;
  c.op(OpKind::ScaleShift, "ss2", {c.input("x", dims({2, 4})), c.weights("s", {3}, 1),
                                   c.weights("h", {4}, 2)}, ScaleShiftAttrs{1});
  std::string msg = errorMessage([&] { inferShapes(c.g); });
  EXPECT_TRUE(mentions(msg, "ScaleShift node 'ss2': scale has 3 elements")) << msg;
}

TEST(ShapeInference, ReduceMeanAxesAndKeepDims) {
  GraphBuilder b;
  Value* x = b.input("x", dims({sym("N"), 8, 5, 5}));
  Value* k = b.op(OpKind::ReduceMean, "k", {x, b.ints("ax", {-2, -1})}, ReduceAttrs{true, false});
  Value* d = b.op(OpKind::ReduceMean, "d", {x, b.ints("ax2", {2, 3})}, ReduceAttrs{false, false});
  Value* all = b.op(OpKind::ReduceMean, "all", {x, nullptr}, ReduceAttrs{true, false});
  Value* noop = b.op(OpKind::ReduceMean, "noop", {x, b.ints("none", {})}, ReduceAttrs{true, true});
  inferShapes(b.g);
  EXPECT_EQ(shapeStr(k), "[N,8,1,1]");
  EXPECT_EQ(shapeStr(d), "[N,8]");
  EXPECT_EQ(shapeStr(all), "[1,1,1,1]");
  EXPECT_EQ(shapeStr(noop), "[N,8,5,5]");
}

TEST(ShapeInference, UnknownInputShapeLeavesOutputsAlone) {
  GraphBuilder b;
  Value* x = b.g.addValue("x");
  b.g.inputs.push_back(x);
  Value* r = b.op(OpKind::Relu, "r", {x});
  inferShapes(b.g);
  EXPECT_FALSE(r->hasShape);
}

TEST(ShapeInference, KeepsDeclaredDimsWhereInferenceCannotTell) {
  GraphBuilder b;
  Value* x = b.input("x", dims({2, 12}));
  Value* target = b.input("t", dims({2}), DType::I64);  // run-time shape: dims unknown
  Value* y = b.op(OpKind::Reshape, "r", {x, target}, ReshapeAttrs{});
  y->shape = dims({sym("rows"), 6});  // as read from ONNX value_info
  y->hasShape = true;
  inferShapes(b.g);
  EXPECT_EQ(shapeStr(y), "[rows,6]");
}

}  // namespace
}  // namespace kiln
