#include "kiln/passes/simplify_shapes.h"

#include "../ir/symbolic_content.h"
#include "kiln/ir/shape_inference.h"

namespace kiln {

namespace {

constexpr const char* kPass = "simplifyShapes";

bool isNeeded(const Graph& g, const Value* v) {
  return v && (g.isOutput(v) || !g.users(v).empty());
}

// Dropout without training_mode (or with a constant false one) whose mask nobody reads.
bool isInferenceDropout(const Graph& g, const Node& n) {
  if (n.kind != OpKind::Dropout) return false;
  const Value* training = n.input(2);
  if (training && !(training->isConstant() && training->constant->getInt(0) == 0)) return false;
  return n.outputs.size() < 2 || !isNeeded(g, n.outputs[1]);
}

// Pad whose pads are all zero (PyTorch exports one before every AveragePool).
bool isNoOpPad(const Node& n) {
  if (n.kind != OpKind::Pad) return false;
  if (!n.input(1)) return true;
  auto pads = content::of(n.input(1));
  if (!pads || !content::fullyLiteral(*pads)) return false;
  for (int64_t p : content::literals(*pads))
    if (p != 0) return false;
  return true;
}

// Removes a node that forwards input 0 to output 0 unchanged. A graph output keeps its name:
// the producer of the input then writes the output value directly.
bool bypass(Graph& g, Node* n, PassContext& ctx) {
  Value* in = n->inputs[0];
  Value* out = n->outputs[0];
  std::string desc = n->describe();
  if (!g.isOutput(out)) {
    g.removeNode(n);
    g.replaceAllUses(out, in);
  } else if (Node* p = in->producer; p && !g.isOutput(in)) {
    int k = in->producerOutput;
    g.removeNode(n);
    g.replaceAllUses(in, out);
    p->outputs[k] = out;
    out->producer = p;
    out->producerOutput = k;
    in->producer = nullptr;
  } else {
    ctx.report.note(kPass, "kept " + desc + ": graph output '" + out->name +
                               "' is a graph input, constant or another output");
    return false;
  }
  ctx.report.note(kPass, "removed " + desc);
  return true;
}

// Constant Reshape target equivalent to the computed one: literal entries stay, an entry that
// is the symbol of the input dim at the same position becomes 0 ("copy that dim", valid
// while allowzero=0), and one remaining symbol may become -1 if the target has no -1 yet.
std::optional<std::vector<int64_t>> constantTarget(const Node& n) {
  const Value* data = n.inputs[0];
  const Value* shape = n.inputs[1];
  if (shape->isConstant() || !shape->symbolicContent || !data->hasShape) return std::nullopt;
  bool allowZero = n.as<ReshapeAttrs>().allowZero;
  const content::Content& c = *shape->symbolicContent;
  std::vector<int64_t> target;
  std::optional<size_t> inferred;
  bool hasMinusOne = false, hasZero = false;
  for (size_t i = 0; i < c.size(); ++i) {
    if (content::isLiteral(c[i])) {
      target.push_back(c[i].value);
      hasMinusOne |= c[i].value == -1;
      hasZero |= c[i].value == 0;
    } else if (!allowZero && i < data->shape.size() && data->shape[i].symbol == c[i].symbol) {
      target.push_back(0);
    } else {
      if (inferred) return std::nullopt;
      inferred = i;
      target.push_back(-1);
    }
  }
  if (inferred && (hasMinusOne || (allowZero && hasZero))) return std::nullopt;
  return target;
}

bool constantReshapeTarget(Graph& g, Node* n, PassContext& ctx) {
  auto target = constantTarget(*n);
  if (!target) return false;
  Value* old = n->inputs[1];
  int64_t len = static_cast<int64_t>(target->size());
  Value* c = g.addConstant(n->name + "_shape", Tensor::fromInts(*target, {len}));
  g.setInput(n, 1, c);
  ctx.report.note(kPass, n->describe() + ": target '" + old->name + "' " +
                             content::toString(*old->symbolicContent) +
                             " computed from shapes replaced by constant '" + c->name + "' " +
                             content::toString(*content::of(c)));
  return true;
}

}  // namespace

bool simplifyShapes(Graph& g, PassContext& ctx) {
  inferShapes(g);  // symbolicContent must be current
  bool changed = false;
  for (Node* n : g.nodeList()) {
    if (n->kind == OpKind::Identity || isInferenceDropout(g, *n) || isNoOpPad(*n))
      changed |= bypass(g, n, ctx);
    else if (n->kind == OpKind::Reshape) changed |= constantReshapeTarget(g, n, ctx);
  }
  if (changed) inferShapes(g);
  return changed;
}

}  // namespace kiln
