#pragma once
/// Typed attribute structs. The frontend parses ONNX attributes into these once, normalising
/// across opsets (e.g. Clip-6 min/max attributes, Pad-2 pads, ReduceMean-13 axes and
/// Unsqueeze-11 axes all become constant inputs), so passes and evaluators never look up an
/// attribute by string or care which opset a node came from.
#include <cstdint>
#include <optional>
#include <vector>

#include "kiln/ir/dtype.h"

namespace kiln {

struct NoAttrs {
  bool operator==(const NoAttrs&) const = default;
};

enum class AutoPad : uint8_t { NotSet, SameUpper, SameLower, Valid };

/// Conv and ConvTranspose. Empty vectors mean "ONNX default" until shape inference fills
/// them in; after inferShapes() kernelShape, strides, dilations and pads are explicit
/// (pads as [begin..., end...]) and autoPad is NotSet.
struct ConvAttrs {
  std::vector<int64_t> kernelShape, strides, pads, dilations;
  std::vector<int64_t> outputPadding, outputShape;  ///< ConvTranspose only
  int64_t group = 1;
  AutoPad autoPad = AutoPad::NotSet;
  bool operator==(const ConvAttrs&) const = default;
};

struct GemmAttrs {
  float alpha = 1.0f, beta = 1.0f;
  bool transA = false, transB = false;
  bool operator==(const GemmAttrs&) const = default;
};

/// ONNX BatchNormalization (any version). Opset < 9 `spatial=0` is rejected by the frontend.
struct BatchNormAttrs {
  double epsilon = 1e-5;
  double momentum = 0.9;      ///< ONNX convention: running = running*momentum + batch*(1-momentum)
  bool trainingMode = false;  ///< opset >= 14 training_mode, or opset < 9 with >1 outputs
  bool operator==(const BatchNormAttrs&) const = default;
};

/// InstanceNormalization: y = scale[c] * (x - mean) / sqrt(var + epsilon) + B[c], with mean
/// and (population) variance over the spatial axes of each (n, c).
struct InstanceNormAttrs {
  double epsilon = 1e-5;
  bool operator==(const InstanceNormAttrs&) const = default;
};

/// LRN over channels: y = x / (bias + alpha / size * sum of x^2 over the channels
/// [c - floor((size - 1) / 2), c + ceil((size - 1) / 2)]) ^ beta.
struct LrnAttrs {
  float alpha = 1e-4f, beta = 0.75f, bias = 1.0f;
  int64_t size = 1;
  bool operator==(const LrnAttrs&) const = default;
};

/// MaxPool, AveragePool (same normalisation rule as ConvAttrs).
struct PoolAttrs {
  std::vector<int64_t> kernelShape, strides, pads, dilations;
  AutoPad autoPad = AutoPad::NotSet;
  bool ceilMode = false;
  bool countIncludePad = false;
  bool operator==(const PoolAttrs&) const = default;
};

/// Single-float-parameter activations (LeakyRelu and Elu alpha; the importer sets each op's
/// ONNX default).
struct AlphaAttrs {
  float alpha = 0.01f;
  bool operator==(const AlphaAttrs&) const = default;
};

/// HardSigmoid: y = max(0, min(1, alpha * x + beta)).
struct AlphaBetaAttrs {
  float alpha = 0.2f, beta = 0.5f;
  bool operator==(const AlphaBetaAttrs&) const = default;
};

/// Selu: y = gamma * (x > 0 ? x : alpha * (exp(x) - 1)).
struct SeluAttrs {
  float alpha = 1.67326319217681884765625f, gamma = 1.05070102214813232421875f;
  bool operator==(const SeluAttrs&) const = default;
};

/// Flatten, Gather, Concat: one axis (may be negative until normalised).
struct AxisAttrs {
  int64_t axis = 0;
  bool operator==(const AxisAttrs&) const = default;
};

/// Softmax. Before opset 13 the input is coerced to 2-D at `axis` (legacy2D).
struct SoftmaxAttrs {
  int64_t axis = -1;
  bool legacy2D = false;
  bool operator==(const SoftmaxAttrs&) const = default;
};

struct ReshapeAttrs {
  bool allowZero = false;
  bool operator==(const ReshapeAttrs&) const = default;
};

struct TransposeAttrs {
  std::vector<int64_t> perm;  ///< empty = reverse
  bool operator==(const TransposeAttrs&) const = default;
};

enum class PadMode : uint8_t { Constant, Reflect, Edge, Wrap };
/// Pad: pads, constant value and axes are inputs (1, 2, 3).
struct PadAttrs {
  PadMode mode = PadMode::Constant;
  bool operator==(const PadAttrs&) const = default;
};

/// ReduceMean: axes are input 1 (optional).
struct ReduceAttrs {
  bool keepDims = true;
  bool noopWithEmptyAxes = false;
  bool operator==(const ReduceAttrs&) const = default;
};

/// ConstantOfShape: every element is the one-element `value` attribute (ONNX default: float32 0).
struct ConstantOfShapeAttrs {
  DType dtype = DType::F32;
  double value = 0;      ///< float dtypes
  int64_t intValue = 0;  ///< integer and bool dtypes
  bool operator==(const ConstantOfShapeAttrs&) const = default;
};

/// Split along `axis` into the sizes of input 1 or, without it, into numOutputs parts of
/// ceil(extent / numOutputs) (the last one smaller). The importer sets numOutputs to the
/// num_outputs attribute (opset 18) or to the node's output count.
struct SplitAttrs {
  int64_t axis = 0;
  int64_t numOutputs = 0;
  bool operator==(const SplitAttrs&) const = default;
};

struct ShapeAttrs {
  int64_t start = 0;
  std::optional<int64_t> end;
  bool operator==(const ShapeAttrs&) const = default;
};

struct CastAttrs {
  DType to = DType::F32;
  bool operator==(const CastAttrs&) const = default;
};

/// kiln.ScaleShift: y = x * scale[c] + shift[c] with c the index along `axis`.
/// Inputs: X, scale [C], shift [C]. This is what eval-mode BatchNorm becomes first.
struct ScaleShiftAttrs {
  int64_t axis = 1;
  bool operator==(const ScaleShiftAttrs&) const = default;
};

/// Activation applied in a fused op's epilogue.
enum class Activation : uint8_t { None, Relu, LeakyRelu, Sigmoid, Tanh, Clip };
struct ActivationAttrs {
  Activation kind = Activation::None;
  float alpha = 0.0f;  ///< LeakyRelu slope / Clip min
  float beta = 0.0f;   ///< Clip max
  bool operator==(const ActivationAttrs&) const = default;
};

/// kiln.BatchNormTraining: batch statistics, normalise, affine, activation, running stats.
/// Inputs: X, scale, bias, running_mean?, running_var? (the last two may be absent).
/// Outputs: Y, new_running_mean?, new_running_var?.
///   mean_c = mean of x over all axes but `axis` (or over everything when wholeTensor)
///   var_c  = population variance (or unbiased, /(n-1), when unbiasedVar — the naive
///            `x.std()` pattern)
///   y      = act(scale_c * (x - mean_c) / sqrt(var_c + epsilon) + bias_c)
///   running_mean' = running_mean * momentum + mean_c * (1 - momentum)
///   running_var'  = running_var  * momentum + v_c   * (1 - momentum)
///   where v_c is the population variance (ONNX) or the unbiased one when
///   unbiasedRunningVar (PyTorch's convention).
struct BatchNormTrainingAttrs {
  double epsilon = 1e-5;
  double momentum = 0.9;
  int64_t axis = 1;  ///< channel axis for statistics and for scale/bias
  bool wholeTensor = false;
  bool unbiasedVar = false;
  bool unbiasedRunningVar = false;
  ActivationAttrs activation;
  bool operator==(const BatchNormTrainingAttrs&) const = default;
};

}  // namespace kiln
