#include "kiln/passes/dead_code.h"

#include <gtest/gtest.h>

#include "graph_builder.h"
#include "kiln/ir/verifier.h"

namespace kiln {
namespace {

using test::dims;
using test::GraphBuilder;

TEST(DeadCode, RemovesUnreachableNodesAndValues) {
  GraphBuilder b;
  Value* x = b.input("x", dims({2, 3}));
  Value* live = b.op(OpKind::Relu, "live", {x});
  Value* dead1 = b.op(OpKind::Exp, "dead1", {x});
  b.op(OpKind::Add, "dead2", {dead1, b.weights("unused_w", {2, 3}, 1)});
  b.weights("orphan", {5}, 2);
  b.output(live);

  PassOptions o;
  PassReport r;
  PassContext ctx{o, r};
  EXPECT_TRUE(eliminateDeadCode(b.g, ctx));
  verify(b.g);
  ASSERT_EQ(b.g.nodes().size(), 1u);
  EXPECT_EQ(b.g.nodes().front()->name, "live");
  EXPECT_EQ(b.g.findValue("unused_w"), nullptr);
  EXPECT_EQ(b.g.findValue("orphan"), nullptr);
  EXPECT_NE(b.g.findValue("x"), nullptr);
  ASSERT_FALSE(r.log.empty());
  EXPECT_NE(r.log[0].find("Exp node 'dead1'"), std::string::npos) << r.log[0];

  PassReport again;
  PassContext ctx2{o, again};
  EXPECT_FALSE(eliminateDeadCode(b.g, ctx2));
  EXPECT_TRUE(again.log.empty());
}

TEST(DeadCode, KeepsNodeWhenAnyOutputIsUsedAndUnusedGraphInputs) {
  GraphBuilder b;
  Value* x = b.input("x", dims({2, 4}));
  b.input("spare", dims({4}));
  Node* bn = b.node(OpKind::BatchNormalization, "bn",
                    {x, b.weights("s", {4}, 1), b.weights("b", {4}, 2), b.weights("m", {4}, 3),
                     b.weights("v", {4}, 4)},
                    BatchNormAttrs{1e-5, 0.9, true}, 3);
  b.output(bn->outputs[1]);  // only the running mean is read
  PassOptions o;
  PassReport r;
  PassContext ctx{o, r};
  eliminateDeadCode(b.g, ctx);
  EXPECT_EQ(b.g.nodes().size(), 1u);
  EXPECT_EQ(b.g.inputs.size(), 2u);
  verify(b.g);
}

}  // namespace
}  // namespace kiln
