#include "kiln/passes/constant_folding.h"

#include "../ir/symbolic_content.h"
#include "kiln/eval/evaluator.h"
#include "kiln/ir/shape_inference.h"
#include "kiln/support/error.h"

namespace kiln {

namespace {

constexpr const char* kPass = "constantFold";
constexpr int64_t kMaxFoldedBytes = int64_t{64} << 20;

// Nodes whose result is not a function of their inputs alone (batch statistics, random
// masks) or that update state.
bool foldable(const Node& n) {
  if (n.kind == OpKind::BatchNormTraining) return false;
  if (n.kind == OpKind::BatchNormalization) return !n.as<BatchNormAttrs>().trainingMode;
  if (n.kind == OpKind::Dropout) {
    const Value* training = n.input(2);
    return !training || (training->isConstant() && training->constant->getInt(0) == 0);
  }
  return true;
}

bool allInputsConstant(const Node& n) {
  for (const Value* in : n.inputs)
    if (in && !in->isConstant()) return false;
  return true;
}

bool usesF64(const Node& n) {
  for (const auto* list : {&n.inputs, &n.outputs})
    for (const Value* v : *list)
      if (v && v->dtype == DType::F64) return true;
  return false;
}

bool tooBig(const Value* v) {
  if (!v || !v->hasShape || !isStatic(v->shape)) return false;
  int64_t bytes = static_cast<int64_t>(dtypeSize(v->dtype));
  for (const Dim& d : v->shape) bytes *= d.value;
  return bytes > kMaxFoldedBytes;
}

bool present(const std::vector<Tensor>& results, size_t i) {
  return i < results.size() &&
         results[i].bytes.size() == static_cast<size_t>(results[i].size()) * dtypeSize(results[i].dtype);
}

bool needed(const Graph& g, const Value* v) { return !g.users(v).empty() || g.isOutput(v); }

// The node is removed and its outputs become constants, keeping their names.
void replaceByConstants(Graph& g, Node* n, std::vector<Tensor> results, PassContext& ctx) {
  std::string what;
  std::vector<Value*> outs = n->outputs;
  std::string desc = n->describe();
  g.removeNode(n);
  for (size_t i = 0; i < outs.size(); ++i) {
    Value* v = outs[i];
    if (!v || !present(results, i)) continue;
    Tensor t = results[i].dtype == v->dtype ? std::move(results[i]) : results[i].castTo(v->dtype);
    v->shape = shapeOf(t.dims);
    v->hasShape = true;
    v->symbolicContent.reset();
    v->constant = std::make_shared<const Tensor>(std::move(t));
    what += (what.empty() ? "'" : ", '") + v->name + "' " + dtypeName(v->dtype) + " " +
            shapeToString(v->shape);
  }
  ctx.report.note(kPass, "folded " + desc + " into constant " + what);
}

// An integer output whose content inference already knows element by element.
std::optional<Tensor> fromContent(const Node& n) {
  if (n.outputs.size() != 1 || !n.outputs[0]) return std::nullopt;
  const Value* v = n.outputs[0];
  if (!v->symbolicContent || !content::fullyLiteral(*v->symbolicContent) || !v->hasShape ||
      !isStatic(v->shape) || v->shape.size() > 1 || isFloat(v->dtype) || v->dtype == DType::Bool)
    return std::nullopt;
  std::vector<int64_t> dims;
  for (const Dim& d : v->shape) dims.push_back(d.value);
  return Tensor::fromInts(content::literals(*v->symbolicContent), dims, v->dtype);
}

// Evaluates a node whose inputs are all constant; nullopt (with a note) when it cannot.
std::optional<std::vector<Tensor>> evaluateConstantNode(const Graph& g, const Node& n,
                                                        PassContext& ctx) {
  for (const Value* out : n.outputs)
    if (tooBig(out)) {
      ctx.report.note(kPass, "kept " + n.describe() + ": output '" + out->name +
                                 "' would exceed 64 MiB");
      return std::nullopt;
    }
  std::vector<const Tensor*> inputs;
  for (const Value* in : n.inputs) inputs.push_back(in ? in->constant.get() : nullptr);
  std::vector<Tensor> results;
  try {
    results = evaluateNode(n, inputs, usesF64(n) ? Precision::F64 : Precision::F32);
  } catch (const Error& e) {
    if (e.code() != ErrorCode::Unsupported) throw;
    ctx.report.note(kPass, "kept " + n.describe() + ": " + e.what());
    return std::nullopt;
  }
  for (size_t i = 0; i < n.outputs.size(); ++i) {
    const Value* out = n.outputs[i];
    if (!out) continue;
    if (!present(results, i)) {
      if (!needed(g, out)) continue;
      ctx.report.note(kPass, "kept " + n.describe() + ": no value for output '" + out->name + "'");
      return std::nullopt;
    }
    if (static_cast<int64_t>(results[i].bytes.size()) > kMaxFoldedBytes) {
      ctx.report.note(kPass, "kept " + n.describe() + ": output '" + out->name +
                                 "' would exceed 64 MiB");
      return std::nullopt;
    }
  }
  return results;
}

}  // namespace

bool constantFold(Graph& g, PassContext& ctx) {
  bool changed = false;
  for (Node* n : g.nodeList()) {
    if (!foldable(*n)) continue;
    inferNodeShapes(g, *n);  // inputs folded earlier in this loop may add content
    std::optional<std::vector<Tensor>> results;
    if (auto t = fromContent(*n)) {
      results.emplace();
      results->push_back(std::move(*t));
    } else if (allInputsConstant(*n)) {
      results = evaluateConstantNode(g, *n, ctx);
    }
    if (!results) continue;
    replaceByConstants(g, n, std::move(*results), ctx);
    changed = true;
  }
  if (changed) inferShapes(g);
  return changed;
}

}  // namespace kiln
