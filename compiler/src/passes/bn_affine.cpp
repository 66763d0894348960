#include "bn_affine.h"

#include <cassert>

namespace kiln::bn {

namespace {

std::vector<double> expand(const std::vector<double>& v, int64_t channels) {
  if (static_cast<int64_t>(v.size()) == channels) return v;
  assert(v.size() == 1);
  return std::vector<double>(static_cast<size_t>(channels), v[0]);
}

}  // namespace

std::vector<double> AffineChain::scaleVector(int64_t channels) const { return expand(scale, channels); }
std::vector<double> AffineChain::shiftVector(int64_t channels) const { return expand(shift, channels); }

std::optional<AffineStep> affineStep(const Node& n, const Value* data) {
  if (n.kind != OpKind::Add && n.kind != OpKind::Sub && n.kind != OpKind::Mul &&
      n.kind != OpKind::Div)
    return std::nullopt;
  if (!data || !data->hasShape || !isFloat(data->dtype) || n.inputs.size() != 2) return std::nullopt;
  const bool left = n.inputs[1] == data;
  if (!left && n.inputs[0] != data) return std::nullopt;
  if (n.inputs[0] == n.inputs[1]) return std::nullopt;  // x*x, x-x
  const Value* other = n.inputs[left ? 0 : 1];
  if (n.kind == OpKind::Div && left) return std::nullopt;  // c / x is not affine in x
  auto c = constantOf(other);
  if (!c || !isFloat(c->dtype)) return std::nullopt;
  auto axis = perChannelAxis(c->dims, data->shape);
  if (!axis) return std::nullopt;
  AffineStep step{n.kind, left, *axis, c->toDoubles()};
  return step;
}

// Composition. The chain so far maps x to y = A*x + B (per channel). One more step with
// constant k gives:
//   y + k, k + y  ->  A,        B + k
//   y - k         ->  A,        B - k
//   k - y         -> -A,        k - B
//   y * k, k * y  ->  A*k,      B*k
//   y / k         ->  A/k,      B/k       (k != 0; y / 0 is not an affine map of x)
AffineChain affineChainFrom(const Graph& g, Value* x, Node* first, int64_t requiredAxis) {
  AffineChain chain;
  chain.input = x;
  chain.output = x;
  chain.axis = kScalarAxis;
  Value* cur = x;
  Node* next = first ? first : soleConsumer(g, x);
  while (next) {
    auto step = affineStep(*next, cur);
    if (!step) break;
    if (step->axis != kScalarAxis) {
      if (requiredAxis != kScalarAxis && step->axis != requiredAxis) break;
      if (chain.axis != kScalarAxis && step->axis != chain.axis) break;
    }
    if (next->kind == OpKind::Div) {
      bool zero = false;
      for (double k : step->values) zero = zero || k == 0.0;
      if (zero) break;
    }
    if (next->outputs.empty() || !next->outputs[0]) break;
    if (step->axis != kScalarAxis && chain.axis == kScalarAxis) {
      const int64_t channels = static_cast<int64_t>(step->values.size());
      chain.scale = expand(chain.scale, channels);
      chain.shift = expand(chain.shift, channels);
      chain.axis = step->axis;
    }
    const std::vector<double> k = expand(step->values, static_cast<int64_t>(chain.scale.size()));
    for (size_t c = 0; c < chain.scale.size(); ++c) {
      double& a = chain.scale[c];
      double& b = chain.shift[c];
      switch (step->kind) {
        case OpKind::Add: b += k[c]; break;
        case OpKind::Sub:
          if (step->constOnLeft) { a = -a; b = k[c] - b; }
          else b -= k[c];
          break;
        case OpKind::Mul: a *= k[c]; b *= k[c]; break;
        case OpKind::Div: a /= k[c]; b /= k[c]; break;
        default: assert(false);
      }
    }
    if (chain.nodes.size() == 1 && next->kind == OpKind::Div &&
        chain.nodes[0]->kind == OpKind::Sub && chain.nodes[0]->inputs[0] == chain.input)
      chain.subThenDiv = true;
    chain.nodes.push_back(next);
    cur = next->outputs[0];
    chain.output = cur;
    next = soleConsumer(g, cur);
  }
  return chain;
}

}  // namespace kiln::bn
