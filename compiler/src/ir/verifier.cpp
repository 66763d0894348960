#include "kiln/ir/verifier.h"

#include <unordered_map>
#include <unordered_set>

#include "kiln/support/error.h"

namespace kiln {

namespace {

[[noreturn]] void fail(const std::string& message) {
  throw Error(ErrorCode::InvalidModel, message);
}

// True when the attribute variant holds the struct ops.def names for the node's op.
bool attrsMatch(const Node& n) {
  switch (n.kind) {
#define KILN_OP(Id, Domain, Name, Attrs, MinIn, MaxIn, MinOut, MaxOut) \
  case OpKind::Id: return std::holds_alternative<Attrs>(n.attrs);
#include "kiln/ir/ops.def"
#undef KILN_OP
  }
  return false;
}

std::string countRange(int lo, int hi) {
  return lo == hi ? std::to_string(lo) : std::to_string(lo) + ".." + std::to_string(hi);
}

void checkArity(const Node& n) {
  const OpInfo& info = opInfo(n.kind);
  int ins = static_cast<int>(n.inputs.size()), outs = static_cast<int>(n.outputs.size());
  if (ins < info.minInputs || ins > info.maxInputs)
    fail(n.describe() + ": has " + std::to_string(ins) + " inputs, expected " +
         countRange(info.minInputs, info.maxInputs));
  if (outs < info.minOutputs || outs > info.maxOutputs)
    fail(n.describe() + ": has " + std::to_string(outs) + " outputs, expected " +
         countRange(info.minOutputs, info.maxOutputs));
  for (int i = 0; i < info.minInputs; ++i)
    if (!n.inputs[i]) fail(n.describe() + ": required input " + std::to_string(i) + " is missing");
  for (int i = 0; i < info.minOutputs; ++i)
    if (!n.outputs[i])
      fail(n.describe() + ": required output " + std::to_string(i) + " is missing");
  if (!attrsMatch(n))
    fail(n.describe() + ": attributes are not of the kind " + std::string(info.name) + " takes");
}

void checkConstant(const Value& v) {
  if (!v.hasShape || !isStatic(v.shape) || v.shape != shapeOf(v.constant->dims) ||
      v.dtype != v.constant->dtype)
    fail("constant '" + v.name + "' declares " + dtypeName(v.dtype) + " " +
         shapeToString(v.shape) + " but holds " + dtypeName(v.constant->dtype) + " " +
         shapeToString(shapeOf(v.constant->dims)));
}

}  // namespace

void verify(const Graph& g) {
  std::unordered_set<const Value*> owned;
  for (const auto& v : g.values()) owned.insert(v.get());
  auto checkOwned = [&](const Value* v, const std::string& where) {
    if (!owned.count(v)) fail(where + " refers to value '" + v->name + "' of another graph");
  };

  std::unordered_set<const Value*> defined;
  for (const Value* in : g.inputs) {
    if (!in) fail("graph input list has a missing value");
    checkOwned(in, "graph input");
    if (in->producer) fail("graph input '" + in->name + "' is produced by " + in->producer->describe());
    if (in->isConstant()) fail("graph input '" + in->name + "' is also a constant");
    if (!defined.insert(in).second) fail("graph input '" + in->name + "' is listed twice");
  }
  for (const auto& v : g.values())
    if (v->isConstant()) {
      checkConstant(*v);
      defined.insert(v.get());
    }

  std::unordered_map<const Value*, const Node*> producerOf;
  for (const auto& node : g.nodes()) {
    const Node& n = *node;
    checkArity(n);
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      const Value* in = n.inputs[i];
      if (!in) continue;
      checkOwned(in, n.describe() + " input " + std::to_string(i));
      if (defined.count(in)) continue;
      if (in->producer && !producerOf.count(in))
        fail(n.describe() + ": input '" + in->name + "' is used before " +
             in->producer->describe() + " produces it (cycle or unsorted nodes)");
      fail(n.describe() + ": input '" + in->name +
           "' is not a graph input, a constant or the output of any node");
    }
    for (size_t i = 0; i < n.outputs.size(); ++i) {
      const Value* out = n.outputs[i];
      if (!out) continue;
      checkOwned(out, n.describe() + " output " + std::to_string(i));
      auto [it, fresh] = producerOf.emplace(out, &n);
      if (!fresh)
        fail("value '" + out->name + "' is produced by both " + it->second->describe() +
             " and " + n.describe());
      if (defined.count(out))
        fail(n.describe() + ": output '" + out->name +
             "' is already defined as a graph input or constant");
      defined.insert(out);
    }
  }
  for (const auto& node : g.nodes())
    for (size_t i = 0; i < node->outputs.size(); ++i) {
      const Value* out = node->outputs[i];
      if (out && (out->producer != node.get() || out->producerOutput != static_cast<int>(i)))
        fail(node->describe() + ": output '" + out->name + "' does not record it as producer");
    }

  for (const Value* out : g.outputs) {
    if (!out) fail("graph output list has a missing value");
    checkOwned(out, "graph output");
    if (!defined.count(out))
      fail("graph output '" + out->name +
           "' is not a graph input, a constant or the output of any node");
  }
}

}  // namespace kiln
