#pragma once
/// Plan kernels as __global__ functions. Every form runs one thread per work item in a
/// grid-stride loop (int64 indices, so any grid size is correct):
///  - generic: one work item per domain point; its reduction loops run inside the thread, in a
///    float accumulator as on the CPU (Sum from 0, Max from -inf), then the value (epilogue
///    included) is stored;
///  - Gemm-kind (optional): shared-memory tiles of A and B, fp32 FMA (gemm_writer.cpp);
///  - moment partials: one work item per partial, which clears its fp64 slots and adds, in
///    order, every value of its chunk of rows (moment_writer.cpp);
///  - moments finalize: one work item per group;
///  - range checks: one work item per checked element; a failure sets the error word.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "code_writer.h"
#include "kiln/backends/cuda/cuda_backend.h"
#include "launch_plan.h"

namespace kiln::cuda {

/// Appends the functions of plan kernel `k` (number `index`) to `out` and their launches
/// (its range checks first) to `lp`.
void writeKernel(const Program& p, const Kernel& k, int index, const CudaOptions& o, CodeWriter& out, LaunchPlan& lp);

// ---- the forms (kernel_writer.cpp, moment_writer.cpp, check_writer.cpp, gemm_writer.cpp)

class ExprWriter;

/// Receives the value of every element an accumulating kernel computes.
using ValueSink = std::function<void(ExprWriter&, CodeWriter&, const std::string& value)>;

/// The body of one domain point at the loop variables already in ex.vars: the reduction, the
/// value, its store and `sink` (when given).
void writeElement(const Program& p, const Kernel& k, ExprWriter& ex, CodeWriter& w, const ValueSink* sink);

Launch writeGeneric(const Program& p, const Kernel& k, const std::string& name, const CudaOptions& o,
                    bool errorWord, CodeWriter& out);
Launch writePartialSums(const Program& p, const Kernel& k, const std::string& name, const CudaOptions& o,
                        bool errorWord, CodeWriter& out);
Launch writeFinalize(const Program& p, const Kernel& k, const std::string& name, const CudaOptions& o,
                     bool errorWord, CodeWriter& out);
/// The check kernel of `c`; a failure stores `id` (>= 1) into the error word.
Launch writeRangeCheck(const Program& p, const RangeCheck& c, unsigned id, const std::string& name,
                       const std::string& kernel, const CudaOptions& o, CodeWriter& out);
/// The tiled form of a Gemm-kind kernel, or nullopt when its shape does not fit it.
std::optional<Launch> writeTiledGemm(const Program& p, const Kernel& k, const std::string& name,
                                     const CudaOptions& o, bool errorWord, CodeWriter& out);

/// Root buffers a kernel stores to: its output's and its moment buffer's.
std::vector<int> writtenRoots(const Program& p, const Kernel& k);

}  // namespace kiln::cuda
