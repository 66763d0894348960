#pragma once
/// Size arithmetic that reports overflow instead of wrapping: every size kiln computes from
/// a model (shapes, windows, symbolic sizes, memory plans) goes through these or through a
/// bound that keeps the operands far from int64's range.
#include <cstdint>
#include <optional>

namespace kiln {

/// Largest element count (and so largest extent) a tensor may have: 2^48, well above any
/// memory and far enough below 2^63 that a few products of such sizes cannot wrap.
inline constexpr int64_t kMaxTensorElements = int64_t{1} << 48;

inline std::optional<int64_t> checkedAdd(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r)) return std::nullopt;
  return r;
}
inline std::optional<int64_t> checkedSub(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_sub_overflow(a, b, &r)) return std::nullopt;
  return r;
}
inline std::optional<int64_t> checkedMul(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_mul_overflow(a, b, &r)) return std::nullopt;
  return r;
}

}  // namespace kiln
