#pragma once
/// Runs a loaded artifact descriptor (kiln_artifact.h) on named host tensors: binds symbols,
/// calls plan, allocates aligned outputs and workspace, calls run with a std::thread
/// parallel_for. Used by the JIT; the runtime library has its own loader for .so artifacts.
#include "kiln/eval/evaluator.h"
#include "kiln/kiln_artifact.h"

namespace kiln::cpu {

/// Throws Error(InvalidInput) naming the input for wrong names, dtypes or shapes, and
/// Error(Internal) when the artifact fails.
TensorMap runArtifact(const kiln_artifact_v1& a, const TensorMap& inputs, int numThreads);

}  // namespace kiln::cpu
