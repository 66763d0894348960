#pragma once
/// The shared lowering's one entry point: graph -> Program (lower every node, fuse, plan
/// memory), shaped by the parameters of the target it is for. Every backend compiles from
/// this; nothing here knows LLVM, CUDA or protobuf (the CMake target kiln_plan has none of
/// their include paths).
#include <cstdint>

#include "kiln/ir/graph.h"
#include "kiln/plan/kernel_plan.h"

namespace kiln::plan {

/// What a target decides about the plan it gets.
struct TargetParams {
  /// Partial sums per group of the batch statistics (MomentSums): the parallelism of the
  /// statistics pass. More partials split work finer at the cost of a larger Finalize; the
  /// chunking is fixed per shape, so results do not depend on the thread count.
  int64_t maxPartials = 64;
  /// A Gemm-kind kernel needs its B operand constant (the CPU backend packs B at compile
  /// time); false lets a Gemm with a computed B keep the Gemm kind.
  bool gemmNeedsConstantB = true;
  /// Fuse elementwise chains and epilogues into kernels (off: one kernel per op).
  bool fuse = true;
};

/// Lowers `g` (shapes inferred, after runPipeline) into a Program for a target with `params`:
/// buffers for inputs, constants, outputs and intermediates, kernels in node order, fused
/// where allowed, temporaries placed in one workspace. Every kernel's range checks (Gather
/// indices) are listed on it; the backend runs them before the kernel.
/// Throws Error(Unsupported) naming the node for what the plan cannot express.
Program buildProgram(const Graph& g, const TargetParams& params = {});

}  // namespace kiln::plan
