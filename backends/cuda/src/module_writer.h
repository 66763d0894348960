#pragma once
/// A whole Program as one CUDA C++ translation unit and its launch plan, written together so
/// that they always agree.
#include <string>

#include "kiln/backends/cuda/cuda_backend.h"
#include "launch_plan.h"

namespace kiln::cuda {

struct GeneratedModule {
  std::string source;  ///< header comment (with the launch plan), prelude, kernels
  LaunchPlan plan;
};

GeneratedModule writeModule(const Program& p, const CudaOptions& o);

}  // namespace kiln::cuda
