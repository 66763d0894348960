#pragma once
/// The __device__ helpers every generated translation unit starts with.

namespace kiln::cuda {

/// CUDA C++ text: the i64 type and the helpers the expression emitter calls (min/max with the
/// plan's NaN behaviour, floored division, integer power, saturating float->int, sigmoid).
extern const char* const kDevicePrelude;

}  // namespace kiln::cuda
