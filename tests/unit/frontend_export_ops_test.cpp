// Export (kiln Graph -> ONNX opset 17) of the activation, variadic, reduction and
// shape-building ops: the re-imported graph keeps each op's kind and attributes and computes
// what the original graph computes (the reference evaluator on both, float64).
#include <gtest/gtest.h>

#include "graph_builder.h"
#include "kiln/eval/evaluator.h"
#include "kiln/frontend/onnx_export.h"
#include "kiln/frontend/onnx_import.h"
#include "kiln/ir/shape_inference.h"
#include "test_util.h"

namespace kiln {
namespace {

const Node& only(const Graph& g, OpKind k) {
  const Node* found = nullptr;
  for (const auto& n : g.nodes())
    if (n->kind == k) {
      EXPECT_EQ(found, nullptr) << opName(k) << " appears twice";
      found = n.get();
    }
  if (!found) throw std::runtime_error("no " + std::string(opName(k)) + " node");
  return *found;
}

// Exports `b.g`, re-imports it and compares every output on random inputs.
std::unique_ptr<Graph> roundTrip(test::GraphBuilder& b) {
  inferShapes(b.g);
  auto back = importOnnxBytes(exportOnnxBytes(b.g), "", "exported.onnx");
  TensorMap in;
  uint32_t seed = 5;
  for (const Value* v : b.g.inputs) {
    std::vector<int64_t> d;
    for (const Dim& x : v->shape) d.push_back(x.isKnown() ? x.value : 2);
    in[v->name] = test::randomTensor(d, seed++, -2.0f, 2.0f);
  }
  const TensorMap want = evaluate(b.g, in, Precision::F64), got = evaluate(*back, in, Precision::F64);
  for (const Value* o : b.g.outputs) {
    const std::vector<double> w = want.at(o->name).toDoubles(), g = got.at(o->name).toDoubles();
    EXPECT_EQ(got.at(o->name).dims, want.at(o->name).dims) << o->name;
    for (size_t i = 0; i < w.size() && i < g.size(); ++i) EXPECT_NEAR(g[i], w[i], 1e-12) << o->name << " element " << i;
  }
  return back;
}

TEST(FrontendExportOps, ActivationsKeepTheirParameters) {
  test::GraphBuilder b;
  Value* x = b.input("x", test::dims({Dim::symbolic("N"), 3, 4}));
  b.output(b.op(OpKind::Elu, "elu", {x}, AlphaAttrs{0.5f}));
  b.output(b.op(OpKind::Selu, "selu", {x}, SeluAttrs{1.5f, 2.0f}));
  b.output(b.op(OpKind::HardSigmoid, "hs", {x}, AlphaBetaAttrs{0.25f, 0.375f}));
  b.output(b.op(OpKind::HardSwish, "hsw", {x}));
  b.output(b.op(OpKind::Softplus, "sp", {x}));
  b.output(b.op(OpKind::Sign, "sign", {x}));
  b.output(b.op(OpKind::PRelu, "prelu", {x, b.weights("slope", {3, 1}, 2)}));
  auto g = roundTrip(b);
  EXPECT_EQ(only(*g, OpKind::Elu).as<AlphaAttrs>().alpha, 0.5f);
  EXPECT_EQ(only(*g, OpKind::Selu).as<SeluAttrs>(), (SeluAttrs{1.5f, 2.0f}));
  EXPECT_EQ(only(*g, OpKind::HardSigmoid).as<AlphaBetaAttrs>(), (AlphaBetaAttrs{0.25f, 0.375f}));
}

TEST(FrontendExportOps, VariadicOpsKeepAllInputs) {
  test::GraphBuilder b;
  Value* x = b.input("x", test::dims({Dim::symbolic("N"), 1, 4}));
  Value* y = b.input("y", test::dims({3, 1}));
  Value* w = b.weights("w", {4}, 3);
  b.output(b.op(OpKind::Sum, "sum", {x, y, w}));
  b.output(b.op(OpKind::Max, "max", {x, y, w}));
  b.output(b.op(OpKind::Min, "min", {w, x}));
  auto g = roundTrip(b);
  EXPECT_EQ(only(*g, OpKind::Sum).inputs.size(), 3u);
  EXPECT_EQ(only(*g, OpKind::Min).inputs.size(), 2u);
}

TEST(FrontendExportOps, ReduceSumKeepsItsAxesInputAndNoop) {
  test::GraphBuilder b;
  Value* x = b.input("x", test::dims({Dim::symbolic("N"), 3, 4}));
  ReduceAttrs a;
  a.keepDims = false;
  b.output(b.op(OpKind::ReduceSum, "rs", {x, b.ints("axes", {-1, 1})}, a));
  a.noopWithEmptyAxes = true;
  b.output(b.op(OpKind::ReduceSum, "noop", {x, b.ints("none", {})}, a));
  roundTrip(b);
}

TEST(FrontendExportOps, ShapeBuildingOps) {
  test::GraphBuilder b;
  Value* x = b.input("x", test::dims({Dim::symbolic("N"), 7, 2}));
  b.output(b.op(OpKind::LogSoftmax, "lsm", {x}, SoftmaxAttrs{1, true}));
  b.output(b.op(OpKind::Expand, "ex", {b.weights("w", {2}, 4), b.ints("shape", {3, 1, 2})}));
  b.output(b.op(OpKind::Tile, "tile", {x, b.ints("reps", {1, 2, 3})}));
  ConstantOfShapeAttrs c;
  c.dtype = DType::I64;
  c.intValue = 7;
  b.output(b.op(OpKind::ConstantOfShape, "cos", {b.op(OpKind::Shape, "shape", {x}, ShapeAttrs{})}, c));
  b.output(b.op(OpKind::Slice, "slice", {x, b.ints("st", {-1}), b.ints("en", {INT64_MIN}), b.ints("ax", {1}), b.ints("sp", {-3})}));
  Node* split = b.node(OpKind::Split, "split", {x}, SplitAttrs{1, 3}, 3);  // 7 -> 3, 3, 1
  for (Value* v : split->outputs) b.output(v);
  auto g = roundTrip(b);
  EXPECT_EQ(only(*g, OpKind::ConstantOfShape).as<ConstantOfShapeAttrs>(), c);
  EXPECT_EQ(only(*g, OpKind::Split).inputs.size(), 2u);  // the sizes became input 1
}

TEST(FrontendExportOps, InstanceNormAndLrnKeepTheirAttributes) {
  test::GraphBuilder b;
  Value* x = b.input("x", test::dims({Dim::symbolic("N"), 3, 4, 2}));
  b.output(b.op(OpKind::InstanceNormalization, "in", {x, b.weights("s", {3}, 1), b.weights("b", {3}, 2)},
                InstanceNormAttrs{0.0078125}));  // 2^-7: exact as the float attribute
  b.output(b.op(OpKind::LRN, "lrn", {x}, LrnAttrs{0.5f, 0.6f, 1.5f, 2}));
  auto g = roundTrip(b);
  EXPECT_EQ(only(*g, OpKind::InstanceNormalization).as<InstanceNormAttrs>().epsilon, 0.0078125);
  EXPECT_EQ(only(*g, OpKind::LRN).as<LrnAttrs>(), (LrnAttrs{0.5f, 0.6f, 1.5f, 2}));
}

}  // namespace
}  // namespace kiln
