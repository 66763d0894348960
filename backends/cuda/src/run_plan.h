#pragma once
/// One run of a compiled model's launch plan, over whatever executes it: the device-memory
/// layout (inputs, outputs, constants, the workspace with its Temp offsets, the error word),
/// the launch parameters in the order the kernels declare them, the range checks' error word
/// and the outputs copied back. The CUDA driver is one RunDevice (device_run.cpp); the tests
/// have a host emulation of the generated kernels as another.
#include <cstdint>
#include <string>
#include <vector>

#include "compiled_model.h"
#include "kiln/eval/evaluator.h"

namespace kiln::cuda {

/// Device addresses are 64-bit integers (CUdeviceptr on CUDA).
using DeviceAddress = uint64_t;

class RunDevice {
 public:
  virtual ~RunDevice() = default;
  /// At least `bytes` (and at least 16) bytes; `what` names them in errors.
  virtual DeviceAddress allocate(size_t bytes, const std::string& what) = 0;
  virtual void release(DeviceAddress a) noexcept = 0;
  virtual void upload(DeviceAddress dst, const void* src, size_t bytes, const std::string& what) = 0;
  virtual void download(void* dst, DeviceAddress src, size_t bytes, const std::string& what) = 0;
  /// Sets `words` 32-bit words at `dst` to 0.
  virtual void clearWords(DeviceAddress dst, size_t words) = 0;
  /// Where constant root buffer `b` lives (uploaded once per loaded model).
  virtual DeviceAddress constant(int b) = 0;
  /// Launches plan entry `launch` with `grid` blocks of its block size; `params` points at one
  /// 8-byte value per kernel parameter (a device address or an int64 symbol).
  virtual void launch(size_t launch, unsigned grid, void** params) = 0;
  /// Waits for every launch (errors of asynchronous work surface here).
  virtual void synchronize(const std::string& what) = 0;
};

/// Symbol values from the input dims (inputs already checked against the graph).
std::vector<int64_t> bindSymbols(const Program& p, const TensorMap& inputs);

/// Runs `m`'s launch plan on `dev` for `inputs` and the symbol values `s`. Throws
/// Error(InvalidInput) with the message of a failed range check.
TensorMap runPlan(const CompiledModel& m, RunDevice& dev, const TensorMap& inputs, const std::vector<int64_t>& s);

}  // namespace kiln::cuda
