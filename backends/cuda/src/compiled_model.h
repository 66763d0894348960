#pragma once
/// What compiling a graph for CUDA produces, shared by the backend's entry points and the
/// executable: the plan, the generated module and its PTX.
#include <memory>
#include <string>

#include "kiln/backends/backend.h"
#include "kiln/ir/graph.h"
#include "module_writer.h"

namespace kiln::cuda {

struct CompiledModel {
  std::unique_ptr<Graph> graph;  ///< a copy, for checking run-time inputs
  Program program;
  GeneratedModule module;
  std::string ptx;  ///< for kPtxArch; loaded when no cubin fits the device
};

/// The plan and the generated module of `g` (no NVRTC).
CompiledModel generateModel(const Graph& g, const CudaOptions& o);

/// Runs `m` on device 0 through the CUDA driver (device_run.cpp).
std::unique_ptr<backend::Executable> makeExecutable(std::shared_ptr<const CompiledModel> m);

}  // namespace kiln::cuda
