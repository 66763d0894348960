#include <gtest/gtest.h>

#include "kiln/ir/graph.h"
#include "kiln/support/error.h"

namespace kiln {
namespace {

TEST(Graph, UniqueNamesAndUsers) {
  Graph g;
  Value* x = g.addValue("x");
  Value* x2 = g.addValue("x");
  EXPECT_EQ(x->name, "x");
  EXPECT_EQ(x2->name, "x_1");
  Node* relu = g.addNode(OpKind::Relu, "r", {x}, {g.addValue("y")}, defaultAttrs(OpKind::Relu));
  EXPECT_EQ(relu->outputs[0]->producer, relu);
  ASSERT_EQ(g.users(x).size(), 1u);
  EXPECT_EQ(g.users(x)[0], relu);
  EXPECT_TRUE(g.users(x2).empty());
}

TEST(Graph, TopoSortReordersAndDetectsCycles) {
  Graph g;
  Value* x = g.addValue("x");
  Value* a = g.addValue("a");
  Value* b = g.addValue("b");
  g.addNode(OpKind::Sigmoid, "second", {a}, {b}, NoAttrs{});
  g.addNode(OpKind::Relu, "first", {x}, {a}, NoAttrs{});
  g.topoSort();
  EXPECT_EQ(g.nodes().front()->name, "first");

  Graph c;
  Value* p = c.addValue("p");
  Value* q = c.addValue("q");
  c.addNode(OpKind::Relu, "n1", {q}, {p}, NoAttrs{});
  c.addNode(OpKind::Relu, "n2", {p}, {q}, NoAttrs{});
  try {
    c.topoSort();
    FAIL() << "cycle not detected";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidModel);
    EXPECT_NE(std::string(e.what()).find("cycle"), std::string::npos);
  }
}

TEST(Graph, CloneIsDeep) {
  Graph g;
  Value* x = g.addValue("x");
  Node* n = g.addNode(OpKind::Relu, "r", {x}, {g.addValue("y")}, NoAttrs{});
  g.inputs = {x};
  g.outputs = {n->outputs[0]};
  auto c = g.clone();
  ASSERT_EQ(c->nodes().size(), 1u);
  EXPECT_NE(c->inputs[0], x);
  EXPECT_EQ(c->inputs[0]->name, "x");
  EXPECT_EQ(c->nodes().front()->inputs[0], c->inputs[0]);
  EXPECT_EQ(c->outputs[0]->producer, c->nodes().front().get());
}

TEST(OpTable, NamesRoundTrip) {
  for (int i = 0; i < kNumOps; ++i) {
    OpKind k = static_cast<OpKind>(i);
    const OpInfo& info = opInfo(k);
    EXPECT_EQ(info.kind, k);
    if (info.domain.empty()) {
      auto back = opFromOnnxName(info.name);
      ASSERT_TRUE(back.has_value()) << info.name;
      EXPECT_EQ(*back, k);
    }
  }
  EXPECT_FALSE(opFromOnnxName("NoSuchOp").has_value());
  EXPECT_FALSE(opFromOnnxName("ScaleShift").has_value());
}

}  // namespace
}  // namespace kiln
