#pragma once
/// Sliding-window geometry shared by the Conv, ConvTranspose and pool lowerings.
#include <vector>

#include "lower.h"

namespace kiln::plan {

/// One spatial axis of a window: output position o reads input o*stride - padBegin + k*dil.
struct WindowAxis {
  int64_t in = 0, out = 0, kernel = 1, stride = 1, dilation = 1, padBegin = 0, padEnd = 0;
};

/// Axes of a window over input 0 ([N, C, spatial...], spatial dims static), from normalised
/// attributes (after inferShapes: explicit pads, no auto_pad). `transposed` (ConvTranspose)
/// leaves `out` unset.
std::vector<WindowAxis> windowAxes(LowerCtx& c, const std::vector<int64_t>& kernel,
                                   std::vector<int64_t> strides, std::vector<int64_t> pads,
                                   std::vector<int64_t> dilations, bool ceilMode,
                                   bool transposed = false);

/// Input position of output position `o` and kernel tap `k` on one axis.
Expr windowInput(const WindowAxis& a, Expr o, Expr k);

/// [N, C', out...] for an output of `channels` channels.
std::vector<Poly> windowOutputShape(LowerCtx& c, const Poly& channels,
                                    const std::vector<WindowAxis>& axes);

}  // namespace kiln::plan
