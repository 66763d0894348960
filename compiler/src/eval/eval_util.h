#pragma once
/// Private helpers shared by the reference evaluator's kernels: the per-call context, dtype
/// dispatch, axis normalisation, numpy broadcasting and outer/axis/inner decomposition.
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "kiln/eval/evaluator.h"
#include "kiln/support/error.h"

namespace kiln::eval {

/// One kernel invocation: the node, its concrete inputs (nullptr = absent) and the precision.
/// In F64 mode float inputs have already been converted to F64 by the driver.
struct KernelCall {
  const Node& node;
  const std::vector<const Tensor*>& inputs;
  Precision precision;

  /// Input i, or nullptr when absent / beyond the inputs given.
  const Tensor* optional(size_t i) const { return i < inputs.size() ? inputs[i] : nullptr; }
  /// Input i; throws Error(InvalidModel) naming the node when it is absent.
  const Tensor& input(size_t i) const;
  /// Name of input i for messages ("#i" when the node has no value there).
  std::string inputName(size_t i) const;
  /// True when output i exists and is used by the graph (node.outputs[i] != nullptr).
  bool wantsOutput(size_t i) const { return i < node.outputs.size() && node.outputs[i]; }
  /// Throws Error(code, "<Op> node '<name>': <message>").
  [[noreturn]] void fail(const std::string& message,
                         ErrorCode code = ErrorCode::InvalidModel) const;
  /// Throws Error(Unsupported) for an input dtype the op does not handle.
  [[noreturn]] void badDtype(size_t input, DType t) const;
};

using Outputs = std::vector<Tensor>;

/// Calls f(T{}) with T the C++ type of float dtype `t` (input index `in` used in messages).
template <typename F>
decltype(auto) visitFloat(const KernelCall& c, size_t in, DType t, F&& f) {
  switch (t) {
    case DType::F32: return f(float{});
    case DType::F64: return f(double{});
    default: c.badDtype(in, t);
  }
}

/// Calls f(T{}) for every numeric dtype (floats and integers, not bool).
template <typename F>
decltype(auto) visitNumeric(const KernelCall& c, size_t in, DType t, F&& f) {
  switch (t) {
    case DType::F32: return f(float{});
    case DType::F64: return f(double{});
    case DType::I64: return f(int64_t{});
    case DType::I32: return f(int32_t{});
    case DType::I8: return f(int8_t{});
    case DType::U8: return f(uint8_t{});
    default: c.badDtype(in, t);
  }
}

/// Like visitNumeric but also accepts bool (stored as uint8_t 0/1).
template <typename F>
decltype(auto) visitAny(const KernelCall& c, size_t in, DType t, F&& f) {
  if (t == DType::Bool) return f(uint8_t{});
  return visitNumeric(c, in, t, std::forward<F>(f));
}

/// Row-major strides of `dims`.
std::vector<int64_t> stridesOf(const std::vector<int64_t>& dims);
/// Element count with overflow / negative checks; throws naming the node when too large.
int64_t checkedCount(const KernelCall& c, const std::vector<int64_t>& dims);
/// A tensor of `dims` after checkedCount (so an absurd shape is an error, not bad_alloc).
Tensor makeTensor(const KernelCall& c, DType t, const std::vector<int64_t>& dims);

/// Normalises `axis` (negative counts from the end: axis + rank) into [0, rank), or [0, rank]
/// when `inclusiveEnd` (Flatten); else throws naming the node and `what`.
int64_t normalizeAxis(const KernelCall& c, int64_t axis, int64_t rank, const char* what,
                      bool inclusiveEnd = false);
/// Reads a 1-D (or scalar) integer input as int64 values; throws unless it is an integer type.
std::vector<int64_t> readInts(const KernelCall& c, size_t input);
/// Reads a scalar (1 element) input of any numeric type as double.
double readScalar(const KernelCall& c, size_t input);
/// Throws unless input `i` has the same dtype as input `ref`.
void requireSameDtype(const KernelCall& c, size_t ref, size_t i);
/// Throws unless input `i` has exactly `count` elements (per-channel parameters).
void requireCount(const KernelCall& c, size_t i, int64_t count, const char* what);

/// numpy broadcast of two shapes; throws naming the node and both shapes when incompatible.
std::vector<int64_t> broadcastShapes(const KernelCall& c, const std::vector<int64_t>& a,
                                     const std::vector<int64_t>& b);
/// Strides for reading a tensor of `in` dims while iterating `out` dims (numpy alignment
/// from the right; 0 on broadcast axes). `in` must be broadcastable to `out`.
std::vector<int64_t> broadcastStrides(const std::vector<int64_t>& in,
                                      const std::vector<int64_t>& out);

/// Iterates all elements of `outDims` in row-major order, calling f(outIndex, offsets) where
/// offsets[k] is the element offset in operand k given its (broadcast) strides.
template <size_t K, typename F>
void forEachBroadcast(const std::vector<int64_t>& outDims,
                      const std::array<std::vector<int64_t>, K>& strides, F&& f) {
  const size_t rank = outDims.size();
  int64_t total = 1;
  for (int64_t d : outDims) total *= d;
  if (total == 0) return;
  std::vector<int64_t> idx(rank, 0);
  std::array<int64_t, K> off{};
  const int64_t inner = rank ? outDims[rank - 1] : 1;
  std::array<int64_t, K> innerStride{};
  for (size_t k = 0; k < K; ++k) innerStride[k] = rank ? strides[k][rank - 1] : 0;
  for (int64_t o = 0; o < total; o += inner) {
    std::array<int64_t, K> cur = off;
    for (int64_t i = 0; i < inner; ++i) {
      f(o + i, cur);
      for (size_t k = 0; k < K; ++k) cur[k] += innerStride[k];
    }
    // Advance the odometer over all but the innermost axis.
    for (size_t a = rank >= 1 ? rank - 1 : 0; a-- > 0;) {
      for (size_t k = 0; k < K; ++k) off[k] += strides[k][a];
      if (++idx[a] < outDims[a]) break;
      for (size_t k = 0; k < K; ++k) off[k] -= strides[k][a] * outDims[a];
      idx[a] = 0;
    }
  }
}

/// A tensor viewed as [outer, axis, inner] around one axis (softmax, BN channels, concat).
struct AxisSplit {
  int64_t outer = 1, axis = 1, inner = 1;
};
/// Splits `dims` around `axis` (already normalised).
AxisSplit splitAt(const std::vector<int64_t>& dims, int64_t axis);

template <typename T, bool = std::is_integral_v<T>> struct ArithOf { using type = T; };
template <typename T> struct ArithOf<T, true> { using type = std::make_unsigned_t<T>; };
/// The type to add/multiply T values in: unsigned for integers, so overflow wraps like numpy
/// instead of being UB; T itself for floats.
template <typename T> using Arith = typename ArithOf<T>::type;

/// Element conversion with ONNX Cast semantics and no UB: float -> int truncates toward
/// zero and saturates (NaN -> 0); int -> narrower int wraps like numpy; anything -> bool
/// (`ToBool`) is "!= 0". Float -> float rounds to nearest.
template <typename T, typename S> T convertValue(S v) {
  if constexpr (std::is_floating_point_v<T> || !std::is_floating_point_v<S>) {
    if constexpr (std::is_integral_v<T> && std::is_integral_v<S>)
      return static_cast<T>(static_cast<std::make_unsigned_t<T>>(v));  // wraps
    else
      return static_cast<T>(v);
  } else {
    if (std::isnan(v)) return T{0};
    const double d = std::trunc(static_cast<double>(v));
    if (d <= static_cast<double>(std::numeric_limits<T>::lowest()))
      return std::numeric_limits<T>::lowest();
    if (d >= static_cast<double>(std::numeric_limits<T>::max())) return std::numeric_limits<T>::max();
    return static_cast<T>(d);
  }
}

}  // namespace kiln::eval
