#pragma once
/// Recognising chains of elementwise Add/Sub/Mul/Div by per-channel constants as one
/// per-channel affine map y = x * scale[c] + shift[c]. Used for the hand-written eval-mode BN
/// (`gamma * (X - mean) / sqrt(var + eps) + beta` on constant statistics) and for the
/// `* gamma + beta` tail of the hand-written / naive training-mode patterns.
#include <optional>
#include <string>
#include <vector>

#include "bn_util.h"

namespace kiln::bn {

/// A maximal chain x -> n1 -> n2 -> ... -> output composed into one affine map.
struct AffineChain {
  Value* input = nullptr;     ///< x, the non-constant operand of the first node
  Value* output = nullptr;    ///< value produced by the last node (== input when empty)
  std::vector<Node*> nodes;   ///< chain nodes in order
  int64_t axis = kScalarAxis; ///< data axis the constants vary along, or kScalarAxis
  std::vector<double> scale{1.0}, shift{0.0};  ///< size 1 when axis == kScalarAxis
  bool subThenDiv = false;    ///< starts with `x - c` then `/ c'`: the hand-written BN shape

  bool empty() const { return nodes.empty(); }
  /// Scale/shift expanded to `channels` entries (scalar chains are broadcast).
  std::vector<double> scaleVector(int64_t channels) const;
  std::vector<double> shiftVector(int64_t channels) const;
};

/// One step of a chain: `n` applied to `data` with a per-channel constant other operand.
/// Nullopt when `n` is not Add/Sub/Mul/Div, `data` is not one of its operands, the other
/// operand is not a per-channel constant of `data`'s shape, or the step is not affine in
/// `data` (c / x).
struct AffineStep {
  OpKind kind;
  bool constOnLeft = false;
  int64_t axis = kScalarAxis;
  std::vector<double> values;  ///< the constant's elements along `axis` (1 when scalar)
};
std::optional<AffineStep> affineStep(const Node& n, const Value* data);

/// Extends a chain from `x`: the first node is `first` when given (x may then have other
/// consumers), afterwards each next node is the sole consumer of the current value. Stops
/// before a node that is not an affine step, or whose constant varies along another axis than
/// the chain so far (or than `requiredAxis` when that is not kScalarAxis), or divides by a
/// zero constant.
AffineChain affineChainFrom(const Graph& g, Value* x, Node* first = nullptr,
                            int64_t requiredAxis = kScalarAxis);

}  // namespace kiln::bn
