#include "kiln/passes/simplify_shapes.h"

#include <gtest/gtest.h>

#include "graph_builder.h"
#include "kiln/eval/evaluator.h"
#include "kiln/ir/shape_inference.h"
#include "kiln/ir/verifier.h"
#include "kiln/passes/dead_code.h"

namespace kiln {
namespace {

using test::dims;
using test::GraphBuilder;
using test::maxAbsDiff;
using test::sym;

struct Simplifier {
  PassOptions options;
  PassReport report;
  PassContext ctx{options, report};
  bool run(Graph& g) {
    bool changed = simplifyShapes(g, ctx);
    verify(g);
    return changed;
  }
};

std::vector<OpKind> kinds(const Graph& g) {
  std::vector<OpKind> k;
  for (const auto& n : g.nodes()) k.push_back(n->kind);
  return k;
}

// Evaluates both graphs in fp64 on the same random input of each batch size; outputs must
// agree exactly (the rewrites move no arithmetic).
void expectSameValues(const Graph& before, const Graph& after, const std::string& input,
                      std::vector<int64_t> innerDims) {
  for (int64_t batch : {2, 5}) {
    std::vector<int64_t> d{batch};
    d.insert(d.end(), innerDims.begin(), innerDims.end());
    TensorMap in{{input, test::randomTensor(d, static_cast<uint32_t>(batch))}};
    TensorMap want = evaluate(before, in, Precision::F64);
    TensorMap got = evaluate(after, in, Precision::F64);
    ASSERT_EQ(want.size(), got.size());
    for (auto& [name, t] : want) {
      ASSERT_TRUE(got.count(name)) << name;
      EXPECT_EQ(maxAbsDiff(t, got.at(name)), 0.0) << name << " batch " << batch;
    }
  }
}

TEST(SimplifyShapes, RemovesIdentityAndInferenceDropout) {
  GraphBuilder b;
  Value* x = b.input("x", dims({sym("N"), 3}));
  Value* id = b.op(OpKind::Identity, "id", {x});
  Node* drop = b.node(OpKind::Dropout, "drop", {b.op(OpKind::Relu, "relu", {id})}, NoAttrs{}, 2);
  Value* y = b.op(OpKind::Identity, "out_id", {drop->outputs[0]});
  b.output(y);
  inferShapes(b.g);
  auto original = b.g.clone();

  Simplifier s;
  EXPECT_TRUE(s.run(b.g));
  EXPECT_EQ(kinds(b.g), (std::vector<OpKind>{OpKind::Relu}));
  // The graph output keeps its name: Relu now writes it directly.
  ASSERT_EQ(b.g.outputs.size(), 1u);
  EXPECT_EQ(b.g.outputs[0]->name, y->name);
  EXPECT_EQ(b.g.outputs[0]->producer->kind, OpKind::Relu);
  EXPECT_EQ(b.g.nodes().front()->inputs[0], x);
  expectSameValues(*original, b.g, "x", {3});
}

TEST(SimplifyShapes, RemovesZeroPadKeepsRealPad) {
  GraphBuilder b;
  Value* x = b.input("x", dims({sym("N"), 2, 4, 4}));
  Value* zero = b.op(OpKind::Pad, "zero_pad", {x, b.ints("zeros", std::vector<int64_t>(8, 0)), nullptr, nullptr},
                     PadAttrs{});
  Value* real = b.op(OpKind::Pad, "real_pad", {zero, b.ints("ones", {0, 0, 1, 1, 0, 0, 1, 1}), nullptr, nullptr},
                     PadAttrs{});
  b.output(real);
  inferShapes(b.g);
  auto original = b.g.clone();
  Simplifier s;
  EXPECT_TRUE(s.run(b.g));
  ASSERT_EQ(b.g.nodes().size(), 1u);
  EXPECT_EQ(b.g.nodes().front()->name, "real_pad");
  EXPECT_EQ(b.g.nodes().front()->inputs[0], x);
  expectSameValues(*original, b.g, "x", {2, 4, 4});
}

TEST(SimplifyShapes, KeepsDropoutWithUsedMaskAndInputToOutputIdentity) {
  GraphBuilder b;
  Value* x = b.input("x", dims({2, 3}));
  Node* drop = b.node(OpKind::Dropout, "drop", {x}, NoAttrs{}, 2);
  b.output(drop->outputs[0]);
  b.output(drop->outputs[1]);
  b.output(b.op(OpKind::Identity, "passthrough", {x}));
  Simplifier s;
  EXPECT_FALSE(s.run(b.g));
  EXPECT_EQ(b.g.nodes().size(), 2u);
}

// x.view(x.size(0), -1): the computed target [batch, -1] becomes the constant [0, -1] and the
// Shape->Gather->Unsqueeze->Concat chain dies.
TEST(SimplifyShapes, DynamicReshapeGetsConstantTarget) {
  GraphBuilder b;
  Value* x = b.input("x", dims({sym("batch"), 4, 3, 3}));
  Value* r = b.op(OpKind::Relu, "relu", {x});
  Value* shape = b.op(OpKind::Shape, "shape", {r});
  Value* n = b.op(OpKind::Gather, "gather", {shape, b.scalarInt("zero", 0)}, AxisAttrs{0});
  Value* n1 = b.op(OpKind::Unsqueeze, "unsqueeze", {n, b.ints("axes", {0})});
  Value* target = b.op(OpKind::Concat, "concat", {n1, b.ints("minus_one", {-1})}, AxisAttrs{0});
  Value* flat = b.op(OpKind::Reshape, "reshape", {r, target}, ReshapeAttrs{});
  Value* y = b.op(OpKind::Gemm, "fc", {flat, b.weights("w", {5, 36}, 1), b.weights("bias", {5}, 2)},
                  GemmAttrs{1.0f, 1.0f, false, true});
  b.output(y);
  inferShapes(b.g);
  auto original = b.g.clone();

  Simplifier s;
  EXPECT_TRUE(s.run(b.g));
  Node* reshape = flat->producer;
  ASSERT_TRUE(reshape->inputs[1]->isConstant());
  EXPECT_EQ(reshape->inputs[1]->constant->toInts(), (std::vector<int64_t>{0, -1}));
  EXPECT_EQ(shapeToString(flat->shape), "[batch,36]");

  PassContext ctx{s.options, s.report};
  EXPECT_TRUE(eliminateDeadCode(b.g, ctx));
  EXPECT_EQ(kinds(b.g), (std::vector<OpKind>{OpKind::Relu, OpKind::Reshape, OpKind::Gemm}));
  verify(b.g);
  expectSameValues(*original, b.g, "x", {4, 3, 3});
}

// A symbol that is not the input dim at the same position can still become the single -1.
TEST(SimplifyShapes, MisplacedSymbolBecomesMinusOne) {
  GraphBuilder b;
  Value* x = b.input("x", dims({sym("N"), 2, 3}));
  Value* shape = b.op(OpKind::Shape, "shape", {x});
  Value* n = b.op(OpKind::Gather, "gather", {shape, b.ints("first", {0})}, AxisAttrs{0});
  Value* target = b.op(OpKind::Concat, "concat", {b.ints("six", {6}), n}, AxisAttrs{0});
  Value* y = b.op(OpKind::Reshape, "swap", {x, target}, ReshapeAttrs{});
  b.output(y);
  inferShapes(b.g);
  EXPECT_EQ(shapeToString(y->shape), "[6,N]");
  auto original = b.g.clone();

  Simplifier s;
  EXPECT_TRUE(s.run(b.g));
  EXPECT_EQ(y->producer->inputs[1]->constant->toInts(), (std::vector<int64_t>{6, -1}));
  EXPECT_EQ(shapeToString(y->shape), "[6,N]");
  expectSameValues(*original, b.g, "x", {2, 3});
}

TEST(SimplifyShapes, UnknownTargetIsLeftAlone) {
  GraphBuilder b;
  Value* x = b.input("x", dims({sym("N"), 6}));
  Value* t = b.input("t", dims({2}), DType::I64);
  b.output(b.op(OpKind::Reshape, "r", {x, t}, ReshapeAttrs{}));
  Simplifier s;
  EXPECT_FALSE(s.run(b.g));
  EXPECT_FALSE(b.g.nodes().front()->inputs[1]->isConstant());
}

}  // namespace
}  // namespace kiln
