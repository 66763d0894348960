#pragma once
/// Scalar activation functions shared by the elementwise kernels and fused epilogues
/// (kiln.BatchNormTraining's activation).
#include <algorithm>
#include <cmath>

#include "kiln/ir/attrs.h"

namespace kiln::eval {

/// Numerically stable logistic function.
template <typename T> T sigmoid(T x) {
  if (x >= T(0)) return T(1) / (T(1) + std::exp(-x));
  const T e = std::exp(x);
  return e / (T(1) + e);
}

/// y = x for x >= 0, alpha * x otherwise.
template <typename T> T leakyRelu(T x, T alpha) { return x >= T(0) ? x : alpha * x; }

/// ONNX Clip: max first, then min (so lo > hi yields hi, like numpy.clip).
template <typename T> T clip(T x, T lo, T hi) { return std::min(std::max(x, lo), hi); }

/// Applies a fused-epilogue activation.
template <typename T> T activate(const ActivationAttrs& a, T x) {
  switch (a.kind) {
    case Activation::None: return x;
    case Activation::Relu: return std::max(x, T(0));
    case Activation::LeakyRelu: return leakyRelu(x, T(a.alpha));
    case Activation::Sigmoid: return sigmoid(x);
    case Activation::Tanh: return std::tanh(x);
    case Activation::Clip: return clip(x, T(a.alpha), T(a.beta));
  }
  return x;
}

}  // namespace kiln::eval
