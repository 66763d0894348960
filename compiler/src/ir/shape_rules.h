#pragma once
/// Private interface between the shape inference driver (shape_inference.cpp) and the
/// per-family rule files (shape_rules_*.cpp). One rule function per op is declared from
/// ops.def; the driver's dispatch calls them all, so an op without a rule fails to link.
#include <cstddef>
#include <optional>
#include <string>

#include "kiln/ir/graph.h"
#include "symbolic_content.h"

namespace kiln::shape {

/// What a rule works with: the node, and helpers whose errors name the node, op and value.
/// The driver only calls a rule when every present input has a shape.
class RuleContext {
 public:
  RuleContext(Graph& g, Node& n) : graph(g), node(n) {}
  Graph& graph;
  Node& node;

  /// Input i, nullptr when absent.
  Value* in(size_t i) const { return node.input(i); }
  /// Shape of present input i.
  const Shape& shape(size_t i) const;
  int64_t rank(size_t i) const { return static_cast<int64_t>(shape(i).size()); }
  /// "input 'x' [N,3,28,28]" (or with `role` in place of "input").
  std::string describeInput(size_t i, const char* role = "input") const;

  /// Throws Error(InvalidModel) "<Op node 'name'>: <what>".
  [[noreturn]] void fail(const std::string& what) const;
  /// Throws unless present input i is float32 or float64.
  void requireFloat(size_t i, const char* role = "input") const;
  /// Throws unless present inputs i and j have the same dtype.
  void requireSameDType(size_t i, size_t j) const;
  /// Throws unless input i has exactly / at least `r` dims.
  void requireRank(size_t i, int64_t r, const char* role = "input") const;
  void requireMinRank(size_t i, int64_t r, const char* role = "input") const;
  /// Throws unless input i is an integer tensor (shape / index / axes inputs).
  void requireInteger(size_t i, const char* role) const;
  /// `axis` in [-rank, rank) made non-negative; throws naming `what` otherwise.
  int64_t normalizeAxis(int64_t axis, int64_t rank, const char* what) const;

  /// Sets dtype and shape of output i (ignored when that output is absent).
  void setOutput(size_t i, DType t, Shape s) const;
  /// Sets only the dtype of output i: its shape stays unknown.
  void setOutputDType(size_t i, DType t) const;
  /// Records symbolicContent of output i (only for integer outputs of rank <= 1).
  void setContent(size_t i, std::optional<content::Content> c) const;
};

/// Shorthand for numbers in messages.
inline std::string str(int64_t v) { return std::to_string(v); }

// ---- shared dim arithmetic (shape_rules_common.cpp)

/// Numpy broadcast of two dims; nullopt when incompatible (two different known extents,
/// neither 1). A symbol against 1 stays the symbol, against a known extent > 1 becomes it.
std::optional<Dim> broadcastDim(const Dim& a, const Dim& b);
/// Numpy broadcast of two shapes; nullopt when incompatible.
std::optional<Shape> broadcastShapes(const Shape& a, const Shape& b);
/// Two dims that must be equal: the more informative one (known > symbol > unknown);
/// nullopt if both are known and differ.
std::optional<Dim> unifyDims(const Dim& a, const Dim& b);
/// Product of s[begin, end): known if all are known; the one non-known dim if the others
/// multiply to 1; unknown otherwise.
Dim dimProduct(const Shape& s, size_t begin, size_t end);
/// Sum of two dims (known when both are known, `a` when b is 0, unknown otherwise).
Dim dimSum(const Dim& a, const Dim& b);
/// Integer content of input i (small constant or symbolicContent), nullopt if unknown.
std::optional<content::Content> inputContent(const RuleContext& ctx, size_t i);

// ---- sliding windows (shape_rules_window.cpp), for ConvAttrs and PoolAttrs

/// Makes strides, dilations and pads of a Conv/pool with `k` spatial axes explicit (ONNX
/// defaults) and checks their lengths and signs. kernelShape must already be filled in.
template <typename A> void normalizeWindow(RuleContext& ctx, A& attrs, size_t k);
/// Output spatial extents of a forward sliding window over `in` (Conv, pools), resolving
/// autoPad into explicit pads where the result does not depend on unknown extents.
template <typename A>
Shape windowOutput(RuleContext& ctx, A& attrs, const Shape& in, bool ceilMode);

// ---- one rule per op (each defined in the family file of the op)
#define KILN_OP(Id, Domain, Name, Attrs, MinIn, MaxIn, MinOut, MaxOut) \
  void infer##Id(RuleContext& ctx);
#include "kiln/ir/ops.def"
#undef KILN_OP

}  // namespace kiln::shape
