#include "kiln/ir/verifier.h"

#include <gtest/gtest.h>

#include "graph_builder.h"

namespace kiln {
namespace {

using test::dims;
using test::mentions;
using test::errorMessage;
using test::GraphBuilder;

// x -> Relu -> Conv(w) -> y
struct SmallGraph {
  GraphBuilder b;
  Value* x;
  Node* relu;
  Node* conv;
  SmallGraph() {
    x = b.input("x", dims({1, 1, 4, 4}));
    relu = b.node(OpKind::Relu, "relu", {x});
    conv = b.node(OpKind::Conv, "conv", {relu->outputs[0], b.weights("w", {1, 1, 3, 3}, 1)});
    b.output(conv->outputs[0]);
  }
};

TEST(Verifier, AcceptsWellFormedGraph) {
  SmallGraph s;
  EXPECT_NO_THROW(verify(s.b.g));
  s.conv->inputs.push_back(nullptr);  // absent optional bias is fine
  EXPECT_NO_THROW(verify(s.b.g));
}

TEST(Verifier, ArityFromOpTable) {
  SmallGraph s;
  s.relu->inputs.push_back(s.x);
  std::string msg = errorMessage([&] { verify(s.b.g); });
  EXPECT_TRUE(mentions(msg, "Relu node 'relu': has 2 inputs, expected 1")) << msg;

  SmallGraph t;
  t.conv->inputs[1] = nullptr;
  msg = errorMessage([&] { verify(t.b.g); });
  EXPECT_TRUE(mentions(msg, "Conv node 'conv': required input 1 is missing")) << msg;

  SmallGraph u;
  u.conv->outputs.push_back(u.b.g.addValue("extra"));
  msg = errorMessage([&] { verify(u.b.g); });
  EXPECT_TRUE(mentions(msg, "has 2 outputs, expected 1")) << msg;
}

TEST(Verifier, AttributeStructMustMatchOp) {
  SmallGraph s;
  s.conv->attrs = PoolAttrs{};
  std::string msg = errorMessage([&] { verify(s.b.g); });
  EXPECT_TRUE(mentions(msg, "Conv node 'conv': attributes")) << msg;
}

TEST(Verifier, InputsDefinedBeforeUse) {
  GraphBuilder b;
  Value* x = b.input("x", dims({2}));
  Value* mid = b.g.addValue("mid");
  Value* y = b.g.addValue("y");
  b.g.addNode(OpKind::Sigmoid, "late_user", {mid}, {y}, NoAttrs{});
  b.g.addNode(OpKind::Relu, "producer", {x}, {mid}, NoAttrs{});
  b.output(y);
  std::string msg = errorMessage([&] { verify(b.g); });
  EXPECT_TRUE(mentions(msg, "Sigmoid node 'late_user': input 'mid' is used before Relu node "
                            "'producer' produces it")) << msg;

  GraphBuilder c;
  Value* dangling = c.g.addValue("dangling");
  c.output(c.op(OpKind::Relu, "r", {dangling}));
  msg = errorMessage([&] { verify(c.g); });
  EXPECT_TRUE(mentions(msg, "Relu node 'r': input 'dangling' is not a graph input")) << msg;
}

TEST(Verifier, SingleProducerAndDefinedOutputs) {
  GraphBuilder b;
  Value* x = b.input("x", dims({2}));
  Value* y = b.g.addValue("y");
  b.g.addNode(OpKind::Relu, "first", {x}, {y}, NoAttrs{});
  b.g.addNode(OpKind::Abs, "second", {x}, {y}, NoAttrs{});
  b.output(y);
  std::string msg = errorMessage([&] { verify(b.g); });
  EXPECT_TRUE(mentions(msg, "value 'y' is produced by both Relu node 'first' and Abs node 'second'"))
      << msg;

  GraphBuilder c;
  c.input("x", dims({2}));
  c.output(c.g.addValue("nowhere"));
  msg = errorMessage([&] { verify(c.g); });
  EXPECT_TRUE(mentions(msg, "graph output 'nowhere'")) << msg;

  GraphBuilder d;
  Value* in = d.input("x", dims({2}));
  d.g.addNode(OpKind::Relu, "overwrites_input", {in}, {in}, NoAttrs{});
  msg = errorMessage([&] { verify(d.g); });
  EXPECT_TRUE(mentions(msg, "'x'")) << msg;
}

TEST(Verifier, ConstantMustMatchItsTensor) {
  SmallGraph s;
  Value* w = s.b.g.findValue("w");
  w->shape = dims({1, 1, 3, 4});
  std::string msg = errorMessage([&] { verify(s.b.g); });
  EXPECT_TRUE(mentions(msg, "constant 'w'")) << msg;
}

}  // namespace
}  // namespace kiln
