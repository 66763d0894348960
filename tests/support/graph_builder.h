#pragma once
/// Terse construction of IR graphs by hand for unit and pass tests.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "kiln/ir/graph.h"
#include "kiln/support/error.h"

namespace kiln::test {

/// A symbolic dim ("N"), for dims({sym("N"), 3, 28, 28}).
inline Dim sym(const std::string& s) { return Dim::symbolic(s); }

/// Shape from a mix of extents and symbols: dims({sym("N"), 3}) or dims({2, 3}).
struct DimArg {
  Dim d;
  DimArg(int64_t v) : d(Dim::known(v)) {}  // NOLINT: implicit on purpose
  DimArg(int v) : d(Dim::known(v)) {}      // NOLINT
  DimArg(Dim x) : d(std::move(x)) {}       // NOLINT
};
inline Shape dims(std::initializer_list<DimArg> list) {
  Shape s;
  for (const DimArg& a : list) s.push_back(a.d);
  return s;
}

/// Deterministic pseudo-random float tensor with values in [lo, hi).
inline Tensor randomTensor(std::vector<int64_t> shape, uint32_t seed, float lo = -1.0f,
                           float hi = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  Tensor t(DType::F32, std::move(shape));
  for (float& x : t.data<float>()) x = dist(rng);
  return t;
}

/// Deterministic pseudo-random tensor of float type `t`; float64 values use the whole double
/// mantissa (they are not float32 values widened).
inline Tensor randomReal(std::vector<int64_t> shape, uint32_t seed, double lo, double hi, DType t) {
  if (t == DType::F32) return randomTensor(std::move(shape), seed, static_cast<float>(lo), static_cast<float>(hi));
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  Tensor out(t, std::move(shape));
  for (double& x : out.data<double>()) x = dist(rng);
  return out;
}

/// Wraps a Graph with helpers that add inputs, constants and nodes.
struct GraphBuilder {
  Graph g;
  /// The float type of inputs and weights made without an explicit type (float32, or
  /// float64 for the op suite's float64 runs).
  DType real = DType::F32;

  /// A run-time graph input of the builder's float type.
  Value* input(const std::string& name, Shape shape) { return input(name, std::move(shape), real); }
  /// A run-time graph input.
  Value* input(const std::string& name, Shape shape, DType t) {
    Value* v = g.addValue(name, t);
    v->shape = std::move(shape);
    v->hasShape = true;
    g.inputs.push_back(v);
    return v;
  }
  Value* constant(const std::string& name, Tensor t) { return g.addConstant(name, std::move(t)); }
  /// 1-D int64 constant.
  Value* ints(const std::string& name, const std::vector<int64_t>& v) {
    return constant(name, Tensor::fromInts(v, {static_cast<int64_t>(v.size())}));
  }
  /// Scalar (rank 0) int64 constant.
  Value* scalarInt(const std::string& name, int64_t v) {
    return constant(name, Tensor::fromInts({v}, {}));
  }
  /// Random constant of the builder's float type, values in [lo, hi).
  Value* weights(const std::string& name, std::vector<int64_t> shape, uint32_t seed, double lo = -1, double hi = 1) {
    return constant(name, randomReal(std::move(shape), seed, lo, hi, real));
  }
  /// Scalar (rank 0) constant of the builder's float type.
  Value* scalar(const std::string& name, double v) { return constant(name, Tensor::fromDoubles({v}, {}, real)); }
  /// Node with `numOutputs` fresh outputs named after the node.
  Node* node(OpKind kind, const std::string& name, std::vector<Value*> inputs,
             NodeAttrs attrs, int numOutputs = 1) {
    std::vector<Value*> outs;
    for (int i = 0; i < numOutputs; ++i)
      outs.push_back(g.addValue(numOutputs == 1 ? name + "_out" : name + "_out" + std::to_string(i)));
    return g.addNode(kind, name, std::move(inputs), std::move(outs), std::move(attrs));
  }
  Node* node(OpKind kind, const std::string& name, std::vector<Value*> inputs) {
    return node(kind, name, std::move(inputs), defaultAttrs(kind));
  }
  /// Output 0 of a new node.
  Value* op(OpKind kind, const std::string& name, std::vector<Value*> inputs, NodeAttrs attrs) {
    return node(kind, name, std::move(inputs), std::move(attrs))->outputs[0];
  }
  Value* op(OpKind kind, const std::string& name, std::vector<Value*> inputs) {
    return op(kind, name, std::move(inputs), defaultAttrs(kind));
  }
  void output(Value* v) { g.outputs.push_back(v); }
};

/// True when `part` occurs in `s` (message checks).
inline bool mentions(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

/// "[N,3,28,28]" rendering of a value's shape; records a failure if it has none.
inline std::string shapeStr(const Value* v) {
  EXPECT_TRUE(v->hasShape) << v->name;
  return shapeToString(v->shape);
}

/// Number of nodes of kind `k`.
inline int countKind(const Graph& g, OpKind k) {
  int n = 0;
  for (const auto& node : g.nodes()) n += node->kind == k;
  return n;
}

/// Largest |a - b| over all elements (infinity when the dims differ).
inline double maxAbsDiff(const Tensor& a, const Tensor& b) {
  if (a.dims != b.dims) return std::numeric_limits<double>::infinity();
  double worst = 0;
  for (int64_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(a.getDouble(i) - b.getDouble(i)));
  return worst;
}

/// Runs f, which must throw kiln::Error with `code`; returns the message ("" if it did not
/// throw, after recording a test failure).
template <typename F>
std::string errorMessage(F&& f, ErrorCode code = ErrorCode::InvalidModel) {
  try {
    f();
  } catch (const Error& e) {
    if (e.code() != code) ADD_FAILURE() << "unexpected error code for: " << e.what();
    return e.what();
  }
  ADD_FAILURE() << "expected a kiln::Error";
  return "";
}

}  // namespace kiln::test
