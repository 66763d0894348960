// Shape inference driver: resets a node's outputs, dispatches to the op's rule (the switch
// is generated from ops.def, so an op without a rule fails to link), then merges in what
// was known before (e.g. dims the frontend read from ONNX value_info) where the rule could
// not tell.
#include "kiln/ir/shape_inference.h"

#include "shape_rules.h"

namespace kiln {

namespace {

struct Previous {
  bool hasShape;
  Shape shape;
};

void dispatch(shape::RuleContext& ctx) {
  switch (ctx.node.kind) {
#define KILN_OP(Id, Domain, Name, Attrs, MinIn, MaxIn, MinOut, MaxOut) \
  case OpKind::Id: shape::infer##Id(ctx); return;
#include "kiln/ir/ops.def"
#undef KILN_OP
  }
}

// A dim the rule left anonymous keeps what was known before, as long as the rank agrees.
void mergePrevious(Value& v, const Previous& prev) {
  if (!prev.hasShape) return;
  if (!v.hasShape) {
    v.shape = prev.shape;
    v.hasShape = true;
    return;
  }
  if (v.shape.size() != prev.shape.size()) return;
  for (size_t i = 0; i < v.shape.size(); ++i) {
    Dim& d = v.shape[i];
    if (!d.isKnown() && d.symbol.empty()) d = prev.shape[i];
  }
}

}  // namespace

void inferNodeShapes(Graph& g, Node& n) {
  for (const Value* in : n.inputs)
    if (in && !in->hasShape) return;  // nothing to go on: keep what the outputs say
  std::vector<Previous> prev;
  for (Value* out : n.outputs) {
    if (!out) {
      prev.push_back({false, {}});
      continue;
    }
    prev.push_back({out->hasShape, out->shape});
    out->hasShape = false;
    out->shape.clear();
    out->symbolicContent.reset();
  }
  shape::RuleContext ctx(g, n);
  dispatch(ctx);
  for (size_t i = 0; i < n.outputs.size(); ++i)
    if (n.outputs[i]) mergePrevious(*n.outputs[i], prev[i]);
}

void inferShapes(Graph& g) {
  for (Node* n : g.nodeList()) inferNodeShapes(g, *n);
}

}  // namespace kiln
