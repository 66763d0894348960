// The reference evaluator's driver: per-node dispatch generated from ops.def, precision
// handling and value lifetimes. Kernels live in the eval_*.cpp files.
#include "kiln/eval/evaluator.h"

#include <array>
#include <memory>
#include <new>
#include <unordered_map>
#include <variant>

#include "eval_kernels.h"

namespace kiln {

namespace {

using KernelFn = eval::Outputs (*)(const eval::KernelCall&);

// One entry per op, in OpKind order; a missing `eval<Op>` declaration is a compile error.
constexpr std::array<KernelFn, kNumOps> kKernels = {
#define KILN_OP(Id, Domain, Name, Attrs, MinIn, MaxIn, MinOut, MaxOut) &eval::eval##Id,
#include "kiln/ir/ops.def"
#undef KILN_OP
};

using TensorRef = std::shared_ptr<const Tensor>;

// Borrowed reference to a tensor that outlives the evaluation (caller inputs, constants).
TensorRef borrow(const Tensor& t) { return TensorRef(&t, [](const Tensor*) {}); }

// In F64 mode every float32 tensor entering the computation is widened to float64.
TensorRef atPrecision(TensorRef t, Precision p) {
  if (p == Precision::F64 && t->dtype == DType::F32)
    return std::make_shared<const Tensor>(t->castTo(DType::F64));
  return t;
}

}  // namespace

std::vector<Tensor> evaluateNode(const Node& n, const std::vector<const Tensor*>& inputs,
                                 Precision p) {
  const OpInfo& info = opInfo(n.kind);
  if (static_cast<int>(inputs.size()) > info.maxInputs)
    throw Error(ErrorCode::InvalidModel, n.describe() + ": got " +
                                             std::to_string(inputs.size()) +
                                             " inputs, at most " +
                                             std::to_string(info.maxInputs) + " allowed");
  for (int i = 0; i < info.minInputs; ++i)
    if (i >= static_cast<int>(inputs.size()) || !inputs[i])
      throw Error(ErrorCode::InvalidModel,
                  n.describe() + ": required input #" + std::to_string(i) + " is missing");
  if (static_cast<int>(n.outputs.size()) > info.maxOutputs)
    throw Error(ErrorCode::InvalidModel, n.describe() + ": has " +
                                             std::to_string(n.outputs.size()) +
                                             " outputs, at most " +
                                             std::to_string(info.maxOutputs) + " allowed");

  std::vector<const Tensor*> ins = inputs;
  std::vector<Tensor> widened;
  widened.reserve(ins.size());
  if (p == Precision::F64)
    for (const Tensor*& t : ins)
      if (t && t->dtype == DType::F32) {
        widened.push_back(t->castTo(DType::F64));
        t = &widened.back();
      }

  eval::KernelCall call{n, ins, p};
  std::vector<Tensor> outs;
  try {
    outs = kKernels[static_cast<size_t>(n.kind)](call);
  } catch (const std::bad_alloc&) {
    call.fail("out of memory while computing the output", ErrorCode::InvalidInput);
  } catch (const std::length_error&) {
    call.fail("output too large", ErrorCode::InvalidInput);
  } catch (const std::bad_variant_access&) {
    call.fail("carries attributes of the wrong kind for this op");
  }
  outs.resize(n.outputs.size());  // kernels may compute outputs the node does not declare
  return outs;
}

TensorMap evaluate(const Graph& g, const TensorMap& inputs, Precision p) {
  checkInputs(g, inputs);

  std::unordered_map<const Value*, TensorRef> env;
  for (const Value* v : g.inputs) env[v] = atPrecision(borrow(inputs.at(v->name)), p);

  auto lookup = [&](const Value* v, const Node* user) -> TensorRef {
    if (auto it = env.find(v); it != env.end()) return it->second;
    if (v->constant) return env[v] = atPrecision(borrow(*v->constant), p);
    throw Error(ErrorCode::InvalidModel,
                "value '" + v->name + "'" + (user ? " used by " + user->describe() : "") +
                    " is not a graph input, a constant or the output of an earlier node");
  };

  // Remaining reads of each value, so intermediates are freed after their last use.
  std::unordered_map<const Value*, int> pending;
  for (const auto& n : g.nodes())
    for (const Value* v : n->inputs)
      if (v) ++pending[v];

  for (const auto& node : g.nodes()) {
    const Node& n = *node;
    std::vector<TensorRef> held;
    std::vector<const Tensor*> ins;
    for (const Value* v : n.inputs) {
      if (!v) {
        ins.push_back(nullptr);
        continue;
      }
      held.push_back(lookup(v, &n));
      ins.push_back(held.back().get());
    }
    std::vector<Tensor> outs = evaluateNode(n, ins, p);
    for (size_t i = 0; i < n.outputs.size(); ++i)
      if (n.outputs[i]) env[n.outputs[i]] = std::make_shared<const Tensor>(std::move(outs[i]));
    for (const Value* v : n.inputs)
      if (v && --pending[v] == 0 && !g.isOutput(v)) env.erase(v);
  }

  TensorMap result;
  for (const Value* v : g.outputs) result[v->name] = *lookup(v, nullptr);
  return result;
}

}  // namespace kiln
