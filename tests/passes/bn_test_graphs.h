#pragma once
/// Small graph-building and checking helpers for the BatchNorm pass tests.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "kiln/eval/evaluator.h"
#include "kiln/ir/graph.h"
#include "kiln/ir/shape_inference.h"
#include "kiln/ir/verifier.h"
#include "kiln/passes/bn_to_scale_shift.h"
#include "kiln/passes/fold_scale_shift_backward.h"
#include "kiln/passes/fold_scale_shift_forward.h"
#include "kiln/passes/lower_bn_training.h"

namespace kiln::bntest {

/// Builds a graph op by op with random constants (seeded, so every run sees the same graph).
/// Graphs are float64 so that a rewrite can be checked to 1e-9; rewriteAndCompare also runs the
/// passes on a float32 copy.
struct Builder {
  std::unique_ptr<Graph> g = std::make_unique<Graph>();
  std::mt19937 rng{1234};
  DType dt = DType::F64;

  /// A run-time input with concrete dims.
  Value* input(const std::string& name, const std::vector<int64_t>& dims) {
    Value* v = g->addValue(name, dt);
    v->shape = shapeOf(dims);
    v->hasShape = true;
    g->inputs.push_back(v);
    return v;
  }
  /// Uniform random float constant in [lo, hi).
  Value* rand(const std::string& name, const std::vector<int64_t>& dims, double lo = -1, double hi = 1) {
    std::uniform_real_distribution<double> d(lo, hi);
    std::vector<double> v(static_cast<size_t>(numElements(dims)));
    for (double& x : v) x = d(rng);
    return values(name, v, dims);
  }
  /// Float constant with given values.
  Value* values(const std::string& name, const std::vector<double>& v, const std::vector<int64_t>& dims) {
    return g->addConstant(name, Tensor::fromDoubles(v, dims, dt));
  }
  Value* scalar(const std::string& name, double v) { return values(name, {v}, {}); }
  Value* ints(const std::string& name, const std::vector<int64_t>& v) {
    return g->addConstant(name, Tensor::fromInts(v, {static_cast<int64_t>(v.size())}));
  }
  /// Adds a node with `nOut` fresh outputs and returns its first output.
  Value* op(OpKind k, const std::string& name, std::vector<Value*> ins, NodeAttrs attrs, int nOut = 1) {
    std::vector<Value*> outs;
    for (int i = 0; i < nOut; ++i) outs.push_back(g->addValue(name + (i ? "_out" + std::to_string(i) : "_out")));
    last = g->addNode(k, name, std::move(ins), std::move(outs), std::move(attrs));
    return last->outputs[0];
  }
  Value* op(OpKind k, const std::string& name, std::vector<Value*> ins) {
    return op(k, name, std::move(ins), defaultAttrs(k));
  }
  Value* conv(const std::string& name, Value* x, int64_t cin, int64_t cout, std::vector<int64_t> kernel,
              int64_t group = 1, bool bias = true, std::vector<int64_t> pads = {}) {
    std::vector<int64_t> wd{cout, cin / group};
    wd.insert(wd.end(), kernel.begin(), kernel.end());
    ConvAttrs a;
    a.group = group;
    a.pads = pads;
    std::vector<Value*> ins{x, rand(name + "_w", wd)};
    if (bias) ins.push_back(rand(name + "_b", {cout}));
    return op(OpKind::Conv, name, ins, a);
  }
  /// Eval-mode (or training-mode) BatchNormalization with random statistics
  /// (scale in [0.5,1.5] or signed, var in [0.5,2]).
  Value* bn(const std::string& name, Value* x, int64_t c, bool training = false, bool signedScale = false,
            double eps = 1e-5) {
    BatchNormAttrs a;
    a.trainingMode = training;
    a.epsilon = eps;
    std::vector<Value*> ins{x, signedScale ? rand(name + "_scale", {c}, -1.5, 1.5) : rand(name + "_scale", {c}, 0.5, 1.5),
                            rand(name + "_bias", {c}), rand(name + "_mean", {c}), rand(name + "_var", {c}, 0.5, 2.0)};
    return op(OpKind::BatchNormalization, name, ins, a, training ? 3 : 1);
  }
  void output(Value* v) { g->outputs.push_back(v); }
  /// Runs shape inference and returns the finished graph.
  std::unique_ptr<Graph> finish() {
    inferShapes(*g);
    verify(*g);
    return std::move(g);
  }
  Node* last = nullptr;
};

/// Random N(0,1) values for every graph input.
inline TensorMap randomInputs(const Graph& g, unsigned seed = 7) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> d(0.0, 1.0);
  TensorMap m;
  for (const Value* in : g.inputs) {
    std::vector<int64_t> dims;
    for (const Dim& dim : in->shape) dims.push_back(dim.isKnown() ? dim.value : 2);
    std::vector<double> v(static_cast<size_t>(numElements(dims)));
    for (double& x : v) x = d(rng);
    m[in->name] = Tensor::fromDoubles(v, dims, in->dtype);
  }
  return m;
}

inline int countOps(const Graph& g, OpKind k) {
  return static_cast<int>(std::count_if(g.nodes().begin(), g.nodes().end(), [&](auto& n) { return n->kind == k; }));
}

inline const Node* findNode(const Graph& g, OpKind k) {
  for (auto& n : g.nodes())
    if (n->kind == k) return n.get();
  return nullptr;
}

/// The decision recorded for `key`; fails the test when missing.
inline BnDecision decisionFor(const PassReport& r, const std::string& key) {
  for (const BnDecision& d : r.bn)
    if (d.node == key) return d;
  ADD_FAILURE() << "no BN decision for '" << key << "'";
  return {};
}

inline bool mentions(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/// Max |x| over a tensor.
inline double scaleOf(const Tensor& t) {
  double s = 0;
  for (double x : t.toDoubles()) s = std::max(s, std::fabs(x));
  return s;
}

/// A copy of `g` with every float value and constant in float32.
inline std::unique_ptr<Graph> toF32(const Graph& g) {
  auto c = g.clone();
  for (const auto& v : c->values()) {
    if (!isFloat(v->dtype)) continue;
    v->dtype = DType::F32;
    if (v->constant) v->constant = std::make_shared<const Tensor>(v->constant->castTo(DType::F32));
  }
  return c;
}

inline TensorMap castInputs(const TensorMap& m, DType t) {
  TensorMap out;
  for (const auto& [k, v] : m) out[k] = isFloat(v.dtype) ? v.castTo(t) : v;
  return out;
}

/// Max |ref - got| over all outputs must stay within `rel` times the output's scale (max |ref|).
inline void expectClose(const TensorMap& ref, const TensorMap& got, double rel, const char* what) {
  ASSERT_EQ(ref.size(), got.size()) << what;
  for (const auto& [name, r] : ref) {
    ASSERT_TRUE(got.count(name)) << what << ": output '" << name << "' missing after the rewrite";
    const std::vector<double> rv = r.toDoubles(), gv = got.at(name).toDoubles();
    ASSERT_EQ(rv.size(), gv.size()) << name;
    const double scale = std::max(scaleOf(r), 1e-30);
    double err = 0;
    for (size_t i = 0; i < rv.size(); ++i) err = std::max(err, std::fabs(rv[i] - gv[i]));
    EXPECT_LE(err, rel * scale) << what << " mismatch on '" << name << "' (scale " << scale << ")";
  }
}

/// Outputs of `rewritten` (a float64 graph) equal those of `original` within 1e-9 of the
/// output scale, both run by the F64 reference evaluator.
inline void expectSameOutputs(const Graph& original, const Graph& rewritten, const TensorMap& inputs) {
  expectClose(evaluate(original, inputs, Precision::F64), evaluate(rewritten, inputs, Precision::F64), 1e-9, "F64");
}

/// Runs the BN passes in pipeline order (with shape inference and verification after each)
/// on `g` and returns the report.
inline PassReport runBnPasses(Graph& g, PassOptions opts = {}) {
  PassReport report;
  PassContext ctx{opts, report};
  using PassFn = bool (*)(Graph&, PassContext&);
  for (PassFn p : {PassFn(lowerTrainingBatchNorm), PassFn(batchNormToScaleShift),
                   PassFn(foldScaleShiftBackward), PassFn(foldScaleShiftForward)}) {
    p(g, ctx);
    inferShapes(g);
    verify(g);
  }
  return report;
}

/// Clones `original` (float64), runs the BN passes on the clone and checks it against the
/// original to 1e-9 (F64); also runs them on a float32 copy, evaluated in F32, which must stay
/// within 1e-4 of the output scale of the F64 reference. Returns the float64 result.
struct Rewritten {
  std::unique_ptr<Graph> g;
  PassReport report;
};
inline Rewritten rewriteAndCompare(const Graph& original, PassOptions opts = {}, unsigned seed = 7) {
  Rewritten r{original.clone(), {}};
  r.report = runBnPasses(*r.g, opts);
  const TensorMap inputs = randomInputs(original, seed);
  const TensorMap ref = evaluate(original, inputs, Precision::F64);
  expectClose(ref, evaluate(*r.g, inputs, Precision::F64), 1e-9, "F64");
  auto g32 = toF32(original);
  runBnPasses(*g32, opts);
  expectClose(ref, evaluate(*g32, castInputs(inputs, DType::F32), Precision::F32), 1e-4, "F32");
  return r;
}

}  // namespace kiln::bntest
