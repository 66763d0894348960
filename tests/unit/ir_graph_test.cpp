#include <gtest/gtest.h>

#include <algorithm>

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

// The use index behind users() / contains() (issue 9: they scanned every node, making the
// BN passes quadratic) follows every edit made through the Graph API.
TEST(Graph, UseIndexFollowsEdits) {
  Graph g;
  Value* x = g.addValue("x");
  Value* w = g.addValue("w");
  Value* y = g.addValue("y");
  Node* add = g.addNode(OpKind::Add, "add", {x, x}, {y}, NoAttrs{});  // reads x twice
  Node* relu = g.addNode(OpKind::Relu, "relu", {y}, {g.addValue("z")}, NoAttrs{});
  auto sorted = [&](const Value* v) {
    std::vector<Node*> u = g.users(v);
    std::sort(u.begin(), u.end());
    return u;
  };
  EXPECT_EQ(g.users(x), (std::vector<Node*>{add}));  // each reader once
  g.setInput(add, 1, w);
  EXPECT_EQ(g.users(x), (std::vector<Node*>{add}));
  EXPECT_EQ(g.users(w), (std::vector<Node*>{add}));
  g.setInput(add, 0, w);
  EXPECT_TRUE(g.users(x).empty());
  Node* before = g.insertNodeBefore(relu, OpKind::Neg, "neg", {w}, {g.addValue("n")}, NoAttrs{});
  EXPECT_EQ(g.nodes().front().get(), add);
  EXPECT_EQ(std::next(g.nodes().begin())->get(), before);
  std::vector<Node*> both{add, before};
  std::sort(both.begin(), both.end());
  EXPECT_EQ(sorted(w), both);
  g.replaceAllUses(w, x);
  EXPECT_TRUE(g.users(w).empty());
  EXPECT_EQ(sorted(x), both);
  EXPECT_TRUE(g.contains(before));
  g.removeNode(before);
  EXPECT_FALSE(g.contains(before));
  EXPECT_EQ(g.users(x), (std::vector<Node*>{add}));
  EXPECT_EQ(g.nodes().size(), 2u);
  g.setInput(relu, 2, x);  // grows the inputs with nullptr
  EXPECT_EQ(relu->inputs.size(), 3u);
  EXPECT_EQ(relu->inputs[1], nullptr);
  EXPECT_EQ(sorted(x).size(), 2u);
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
