#pragma once
/// Asking the artifact for output shapes and workspace size, and checking its answer.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "binding.h"

namespace kiln::rt::impl {

/// Shapes and sizes of one call, settled before any buffer is touched.
struct CallPlan {
  std::vector<std::vector<int64_t>> outputDims;  ///< per output, its extents
  std::vector<size_t> outputBytes;               ///< per output, dense byte size
  size_t workspaceBytes = 0;                     ///< what run needs as scratch
};

/// Calls the artifact's plan with the bound symbols, fills in the derived ones in `binding`,
/// and checks that the output dims agree with the signature. Throws Failure: INVALID_INPUT
/// when the model rejects the shapes, INTERNAL when the artifact breaks its contract.
CallPlan planCall(const kiln_model& model, Binding& binding);

/// Size of the error buffers handed to the artifact.
inline constexpr size_t kArtifactErrorCapacity = 1024;

/// The artifact's message from `buffer` (forced NUL-terminated), or a stand-in when it wrote none.
std::string artifactMessage(char* buffer);

}  // namespace kiln::rt::impl
