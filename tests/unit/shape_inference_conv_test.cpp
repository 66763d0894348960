// Shape inference for Conv, ConvTranspose and the pools. Expected extents follow from the
// ONNX formulas (out = floor((in + pads - dilation*(k-1) - 1) / stride) + 1 and friends);
// the static cases were also cross-checked against ONNX Runtime 1.20.
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

using V = std::vector<int64_t>;

ConvAttrs conv(V strides = {}, V pads = {}, V dilations = {}, int64_t group = 1,
               AutoPad autoPad = AutoPad::NotSet) {
  ConvAttrs a;
  a.strides = std::move(strides);
  a.pads = std::move(pads);
  a.dilations = std::move(dilations);
  a.group = group;
  a.autoPad = autoPad;
  return a;
}

PoolAttrs pool(V kernel, V strides = {}, V pads = {}, bool ceilMode = false,
               AutoPad autoPad = AutoPad::NotSet) {
  PoolAttrs a;
  a.kernelShape = std::move(kernel);
  a.strides = std::move(strides);
  a.pads = std::move(pads);
  a.ceilMode = ceilMode;
  a.autoPad = autoPad;
  return a;
}

TEST(ShapeInferenceConv, Conv2DStridedPaddedAndNormalised) {
  GraphBuilder b;
  Node* c = b.node(OpKind::Conv, "c",
                   {b.input("x", dims({sym("N"), 3, 32, 32})), b.weights("w", {8, 3, 3, 3}, 1),
                    b.weights("b", {8}, 2)},
                   conv({2, 2}, {1, 1, 1, 1}));
  inferShapes(b.g);
  EXPECT_EQ(shapeStr(c->outputs[0]), "[N,8,16,16]");  // floor((32 + 2 - 3) / 2) + 1
  const auto& a = c->as<ConvAttrs>();
  EXPECT_EQ(a.kernelShape, (V{3, 3}));
  EXPECT_EQ(a.dilations, (V{1, 1}));
  EXPECT_EQ(a.autoPad, AutoPad::NotSet);
}

TEST(ShapeInferenceConv, Conv1DGroupedDilatedAnd3D) {
  GraphBuilder b;
  Value* y1 = b.op(OpKind::Conv, "c1", {b.input("x", dims({1, 4, 10})), b.weights("w", {6, 2, 3}, 1)},
                   conv({}, {}, {2}, 2));
  Value* y3 = b.op(OpKind::Conv, "c3",
                   {b.input("v", dims({2, 1, 5, 6, 7})), b.weights("w3", {4, 1, 2, 2, 2}, 2)},
                   conv({1, 2, 3}, {0, 1, 2, 0, 1, 2}));
  inferShapes(b.g);
  EXPECT_EQ(shapeStr(y1), "[1,6,6]");      // 10 - (2*2 + 1) + 1
  EXPECT_EQ(shapeStr(y3), "[2,4,4,4,4]");  // (5-2)/1+1, (6+2-2)/2+1, (7+4-2)/3+1
}

TEST(ShapeInferenceConv, AutoPadResolvedIntoPads) {
  GraphBuilder b;
  Value* x = b.input("x", dims({1, 1, 7, 7}));
  Node* up = b.node(OpKind::Conv, "up", {x, b.weights("w", {2, 1, 4, 4}, 1)},
                    conv({2, 2}, {}, {}, 1, AutoPad::SameUpper));
  Node* lo = b.node(OpKind::Conv, "lo", {x, b.weights("w2", {2, 1, 4, 4}, 1)},
                    conv({2, 2}, {}, {}, 1, AutoPad::SameLower));
  Node* va = b.node(OpKind::Conv, "va", {x, b.weights("w3", {2, 1, 4, 4}, 1)},
                    conv({2, 2}, {}, {}, 1, AutoPad::Valid));
  inferShapes(b.g);
  // SAME: out = ceil(7 / 2) = 4, total pad = (4 - 1) * 2 + 4 - 7 = 3.
  EXPECT_EQ(shapeStr(up->outputs[0]), "[1,2,4,4]");
  EXPECT_EQ(up->as<ConvAttrs>().pads, (V{1, 1, 2, 2}));
  EXPECT_EQ(up->as<ConvAttrs>().autoPad, AutoPad::NotSet);
  EXPECT_EQ(lo->as<ConvAttrs>().pads, (V{2, 2, 1, 1}));
  EXPECT_EQ(shapeStr(va->outputs[0]), "[1,2,2,2]");  // floor((7 - 4) / 2) + 1
  EXPECT_EQ(va->as<ConvAttrs>().pads, (V{0, 0, 0, 0}));
}

TEST(ShapeInferenceConv, SymbolicSpatialDims) {
  GraphBuilder b;
  Value* x = b.input("x", dims({sym("N"), 3, sym("H"), 9}));
  Node* same = b.node(OpKind::Conv, "same", {x, b.weights("w", {8, 3, 3, 3}, 1)},
                      conv({1, 2}, {}, {}, 1, AutoPad::SameUpper));
  Node* strided = b.node(OpKind::Conv, "strided", {x, b.weights("w2", {8, 3, 3, 3}, 1)},
                         conv({2, 2}, {}, {}, 1, AutoPad::SameUpper));
  inferShapes(b.g);
  // Stride 1 SAME keeps H and needs 2 cells of padding whatever H is.
  EXPECT_EQ(shapeStr(same->outputs[0]), "[N,8,H,5]");
  EXPECT_EQ(same->as<ConvAttrs>().pads, (V{1, 1, 1, 1}));
  EXPECT_EQ(same->as<ConvAttrs>().autoPad, AutoPad::NotSet);
  // Stride 2 over H: padding depends on H, so auto_pad stays.
  EXPECT_EQ(shapeStr(strided->outputs[0]), "[N,8,?,5]");
  EXPECT_EQ(strided->as<ConvAttrs>().autoPad, AutoPad::SameUpper);
}

TEST(ShapeInferenceConv, ConvErrorsNameNodeAndValues) {
  auto build = [](V xShape, V wShape, V biasShape, int64_t group) {
    auto b = std::make_unique<GraphBuilder>();
    Shape xs;
    for (int64_t d : xShape) xs.push_back(Dim::known(d));
    Value* bias = biasShape.empty() ? nullptr : b->weights("bias", biasShape, 3);
    b->op(OpKind::Conv, "conv1", {b->input("x", xs), b->weights("w", wShape, 1), bias},
          conv({}, {}, {}, group));
    return b;
  };
  auto channels = build({1, 6, 8, 8}, {8, 5, 3, 3}, {}, 1);
  std::string msg = errorMessage([&] { inferShapes(channels->g); });
  EXPECT_TRUE(mentions(msg, "Conv node 'conv1'")) << msg;
  EXPECT_TRUE(mentions(msg, "'x' [1,6,8,8] has 6 channels")) << msg;
  EXPECT_TRUE(mentions(msg, "'w' [8,5,3,3]")) << msg;

  auto groups = build({1, 6, 8, 8}, {8, 2, 3, 3}, {}, 3);
  msg = errorMessage([&] { inferShapes(groups->g); });
  EXPECT_TRUE(mentions(msg, "not divisible by group 3")) << msg;

  auto bias = build({1, 6, 8, 8}, {8, 6, 3, 3}, {7}, 1);
  msg = errorMessage([&] { inferShapes(bias->g); });
  EXPECT_TRUE(mentions(msg, "bias 'bias' [7]")) << msg;

  auto tooSmall = build({1, 1, 2, 2}, {1, 1, 3, 3}, {}, 1);
  msg = errorMessage([&] { inferShapes(tooSmall->g); });
  EXPECT_TRUE(mentions(msg, "kernel extent 3")) << msg;

  auto rank = build({1, 1, 8, 8}, {1, 1, 3}, {}, 1);
  msg = errorMessage([&] { inferShapes(rank->g); });
  EXPECT_TRUE(mentions(msg, "weight 'w' [1,1,3] must have the rank")) << msg;
}

TEST(ShapeInferenceConv, ConvTranspose) {
  GraphBuilder b;
  Value* x = b.input("x", dims({1, 2, 3, 3}));
  Value* w = b.weights("w", {2, 4, 3, 3}, 1);
  Value* plain = b.op(OpKind::ConvTranspose, "plain", {x, w}, conv({2, 2}));
  ConvAttrs withShape = conv({2, 2});
  withShape.outputShape = {6, 6};
  Node* shaped = b.node(OpKind::ConvTranspose, "shaped", {x, w}, withShape);
  Node* same = b.node(OpKind::ConvTranspose, "same", {x, w}, conv({2, 2}, {}, {}, 1, AutoPad::SameUpper));
  ConvAttrs grouped = conv({2, 2}, {}, {}, 2);
  grouped.outputPadding = {1, 1};
  Value* g = b.op(OpKind::ConvTranspose, "grouped",
                  {x, b.weights("wg", {2, 2, 3, 3}, 2), b.weights("bg", {4}, 3)}, grouped);
  inferShapes(b.g);
  EXPECT_EQ(shapeStr(plain), "[1,4,7,7]");  // 2 * (3 - 1) + 3
  // output_shape 6: total padding 2 * 2 + 3 - 6 = 1, the odd cell at the start.
  EXPECT_EQ(shapeStr(shaped->outputs[0]), "[1,4,6,6]");
  EXPECT_EQ(shaped->as<ConvAttrs>().pads, (V{1, 1, 0, 0}));
  EXPECT_TRUE(shaped->as<ConvAttrs>().outputShape.empty());
  // SAME_UPPER: out = 3 * 2, total padding 3 - 2 = 1 at the end.
  EXPECT_EQ(shapeStr(same->outputs[0]), "[1,4,6,6]");
  EXPECT_EQ(same->as<ConvAttrs>().pads, (V{0, 0, 1, 1}));
  EXPECT_EQ(shapeStr(g), "[1,4,8,8]");  // 2 groups x 2 channels, output_padding 1

  // ONNX backend test convtranspose_output_shape: output [10, 8] is one longer than the
  // natural extent on both axes (total padding -1): the extra cell becomes output_padding.
  GraphBuilder e;
  ConvAttrs longer = conv({3, 2});
  longer.outputShape = {10, 8};
  Node* ext = e.node(OpKind::ConvTranspose, "ext",
                     {e.input("x", dims({1, 1, 3, 3})), e.weights("w", {1, 2, 3, 3}, 1)}, longer);
  inferShapes(e.g);
  EXPECT_EQ(shapeStr(ext->outputs[0]), "[1,2,10,8]");
  EXPECT_EQ(ext->as<ConvAttrs>().pads, (V{0, 0, 0, 0}));
  EXPECT_EQ(ext->as<ConvAttrs>().outputPadding, (V{1, 1}));
  inferShapes(e.g);  // normalised attributes give the same result again
  EXPECT_EQ(shapeStr(ext->outputs[0]), "[1,2,10,8]");

  GraphBuilder c;
  c.op(OpKind::ConvTranspose, "ct", {c.input("x", dims({1, 3, 3, 3})), c.weights("w", {2, 4, 3, 3}, 1)},
       conv());
  std::string msg = errorMessage([&] { inferShapes(c.g); });
  EXPECT_TRUE(mentions(msg, "ConvTranspose node 'ct'")) << msg;
  EXPECT_TRUE(mentions(msg, "has 3 channels")) << msg;
}

TEST(ShapeInferenceConv, PoolsFloorCeilDilationSame) {
  GraphBuilder b;
  Value* x6 = b.input("x6", dims({1, 1, 6, 6}));
  Value* floorP = b.op(OpKind::MaxPool, "floor", {x6}, pool({3, 3}, {2, 2}));
  Value* ceilP = b.op(OpKind::MaxPool, "ceil", {x6}, pool({3, 3}, {2, 2}, {}, true));
  // ceil gives 3 windows, but the third would start in the end padding: ONNX ignores it
  // (as PyTorch does), leaving 2.
  Value* dropped = b.op(OpKind::MaxPool, "dropped", {b.input("x3", dims({1, 1, 3, 3}))},
                        pool({2, 2}, {2, 2}, {1, 1, 1, 1}, true));
  PoolAttrs dil = pool({3, 3}, {2, 2}, {1, 1, 1, 1});
  dil.dilations = {2, 2};
  Value* dilated = b.op(OpKind::MaxPool, "dilated", {b.input("x9", dims({1, 1, 9, 9}))}, dil);
  Node* same = b.node(OpKind::AveragePool, "same", {b.input("x7", dims({sym("N"), 2, 7, 7}))},
                      pool({4, 4}, {2, 2}, {}, false, AutoPad::SameLower));
  Value* gap = b.op(OpKind::GlobalAveragePool, "gap", {b.input("f", dims({sym("N"), 16, 7, 5}))});
  inferShapes(b.g);
  EXPECT_EQ(shapeStr(floorP), "[1,1,2,2]");
  EXPECT_EQ(shapeStr(ceilP), "[1,1,3,3]");
  EXPECT_EQ(shapeStr(dropped), "[1,1,2,2]");
  EXPECT_EQ(shapeStr(dilated), "[1,1,4,4]");  // (9 + 2 - 5) / 2 + 1
  EXPECT_EQ(shapeStr(same->outputs[0]), "[N,2,4,4]");
  EXPECT_EQ(same->as<PoolAttrs>().pads, (V{2, 2, 1, 1}));
  EXPECT_EQ(shapeStr(gap), "[N,16,1,1]");

  GraphBuilder c;
  c.op(OpKind::MaxPool, "mp", {c.input("x", dims({1, 1, 4, 4}))}, PoolAttrs{});
  EXPECT_TRUE(mentions(errorMessage([&] { inferShapes(c.g); }), "MaxPool node 'mp': kernel_shape"));
}

}  // namespace
}  // namespace kiln
