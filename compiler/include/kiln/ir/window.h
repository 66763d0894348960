#pragma once
/// Sliding-window arithmetic of Conv and the pools along one spatial axis, shared by shape
/// inference, the reference evaluator and the backends.
///   effective kernel  ek  = d * (k - 1) + 1
///   output            out = floor((in + b + e - ek) / s) + 1   (ceil with ceil_mode, dropping
///                     a last window that would start inside the end padding)
///   auto_pad SAME_*   out = ceil(in / s), total = max(0, (out - 1) * s + ek - in) split as
///                     b = total / 2 (SAME_UPPER, the odd cell at the end) or e = total / 2
///                     (SAME_LOWER)
#include <algorithm>
#include <cstdint>
#include <optional>
#include <utility>

namespace kiln {

/// d * (k - 1) + 1: the input extent one dilated kernel window covers.
inline int64_t dilatedKernelExtent(int64_t kernel, int64_t dilation) {
  return dilation * (kernel - 1) + 1;
}

/// Number of windows along one axis, or nullopt when the kernel does not fit in the padded
/// input.
inline std::optional<int64_t> windowOutputExtent(int64_t in, int64_t padBegin, int64_t padEnd,
                                                 int64_t kernel, int64_t stride,
                                                 int64_t dilation, bool ceilMode) {
  const int64_t room = in + padBegin + padEnd - dilatedKernelExtent(kernel, dilation);
  if (room < 0) return std::nullopt;
  int64_t out = (ceilMode ? (room + stride - 1) / stride : room / stride) + 1;
  if (ceilMode && (out - 1) * stride >= in + padBegin) --out;
  return out;
}

/// {begin, end} pads of auto_pad SAME_UPPER (`upper`) or SAME_LOWER for a known extent.
inline std::pair<int64_t, int64_t> samePads(int64_t in, int64_t kernel, int64_t stride,
                                            int64_t dilation, bool upper) {
  const int64_t out = (in + stride - 1) / stride;
  const int64_t total =
      std::max<int64_t>(0, (out - 1) * stride + dilatedKernelExtent(kernel, dilation) - in);
  const int64_t small = total / 2;
  return upper ? std::pair{small, total - small} : std::pair{total - small, small};
}

}  // namespace kiln
