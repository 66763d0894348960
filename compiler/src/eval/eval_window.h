#pragma once
/// Sliding-window geometry shared by Conv, ConvTranspose, MaxPool and AveragePool: attribute
/// defaults, auto_pad, output extents, and the kernel taps of one window.
#include <cstdint>
#include <vector>

#include "eval_util.h"

namespace kiln::eval {

/// Geometry of a window sliding over `in` (spatial extents only) producing `out` positions:
/// output position o reads input position o*stride - padBegin + k*dilation for kernel
/// offset k (per spatial axis).
struct Window {
  std::vector<int64_t> in, out, kernel, strides, dilations, padBegin, padEnd;
  size_t rank() const { return in.size(); }
  int64_t outCount() const;
  int64_t inCount() const;
  int64_t kernelCount() const;
};

/// Attribute values of a Conv or pool before defaults are applied.
struct WindowAttrs {
  std::vector<int64_t> kernel, strides, pads, dilations;
  AutoPad autoPad = AutoPad::NotSet;
  bool ceilMode = false;
};

/// Fills defaults (strides/dilations 1, pads 0), resolves auto_pad into pads and computes
/// output extents (floor, or ceil where a window may not start in the end padding).
/// Throws naming the node for attribute lengths that do not match the input rank,
/// non-positive strides/dilations/kernel, negative pads or an empty output.
Window resolveWindow(const KernelCall& c, const std::vector<int64_t>& inSpatial,
                     const WindowAttrs& a);

/// Checks attribute vector lengths and values, filling defaults; used by resolveWindow and
/// ConvTranspose. `pads` becomes 2*rank long.
void normalizeWindowAttrs(const KernelCall& c, size_t rank, WindowAttrs& a);

/// One kernel tap of a window that lands inside the input.
struct Tap {
  int64_t kernel;  ///< flat index into the kernel
  int64_t input;   ///< flat index into one spatial plane of the input
};

/// Taps of the window at flat output position `outFlat` that land inside the input, in
/// kernel order. When `paddedCount` is given it receives the number of taps inside the
/// padded input (input plus padBegin/padEnd).
void windowTaps(const Window& w, int64_t outFlat, std::vector<Tap>& taps,
                int64_t* paddedCount = nullptr);

}  // namespace kiln::eval
