#pragma once
/// Matching batch-statistics normalisation written out with elementwise ops, as PyTorch
/// 1.13 exports it at opset 14:
///
/// hand-written BN in training mode (seed 001, `X.mean(dim=[0,2,3], keepdim=True)`,
/// `((X - mean)**2).mean(...)`, `(X - mean) / torch.sqrt(var + eps)`):
///   m = ReduceMean(X, axes=[0,2,3], keepdims=1)   d = Sub(X, m)
///   v = ReduceMean(Pow(d, 2), axes=[0,2,3], keepdims=1)
///   Div(d, Sqrt(Add(v, eps)))
/// naive whole-tensor normalisation (seed 003, `(x - x.mean()) / x.std()`; std is unbiased):
///   m1 = ReduceMean(x, keepdims=0)   d1 = Sub(x, m1)
///   m2 = ReduceMean(x, keepdims=0)   d2 = Sub(x, m2)
///   n  = Cast(ReduceProd(Shape(x), keepdims=0))
///   v  = Div(Mul(ReduceMean(Mul(d2, d2), keepdims=0), n), Sub(n, 1))
///   Div(d1, Sqrt(v))
/// Variants accepted: Pow(., 2) or Mul(d, d) for squaring, Sqrt or Pow(., 0.5), an optional
/// `+ eps`, one shared or two separate mean/Sub nodes, axes as absent input (all) or constant,
/// the n/(n-1) correction as constants (when n is static) or computed from Shape(x), and the
/// population variance (no correction).
#include <string>
#include <vector>

#include "bn_util.h"

namespace kiln::bn {

struct NormalizeMatch {
  enum class Status {
    NoMatch,   ///< not `(x - mean(x)) / something`: not a candidate at all
    Declined,  ///< a candidate whose details do not check out (see reason)
    Matched,
  };
  Status status = Status::NoMatch;
  std::string pattern;  ///< "hand-written BN" (per-channel) or "whole-tensor BN"
  std::string key;      ///< decision key: the name of the mean's ReduceMean node
  std::string reason;   ///< for Declined
  Value* x = nullptr;   ///< the normalised tensor
  Value* normalized = nullptr;  ///< output of the Div: (x - mean) / sqrt(var + eps)
  bool wholeTensor = false;
  int64_t axis = kScalarAxis;  ///< the channel axis (per-channel statistics only)
  bool unbiasedVar = false;
  double epsilon = 0.0;
};

/// Tries to match the normalisation ending in `div` (a Div node).
NormalizeMatch matchNormalize(const Node& div);

}  // namespace kiln::bn
