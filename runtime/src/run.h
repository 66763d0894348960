#pragma once
/// The three run-family entry points, behind the C API's guard().
#include <cstddef>

#include "kiln/kiln.h"

namespace kiln::rt::impl {

/// Who provides the output buffers of a run.
enum class OutputMode { Caller, Runtime };

/// kiln_run (Caller) and kiln_run_alloc (Runtime); throws Failure.
void runModel(const kiln_model* model, const kiln_tensor* inputs, size_t nIn, kiln_tensor* outputs,
              size_t nOut, const kiln_run_options* options, OutputMode mode);

/// kiln_infer_outputs; throws Failure.
void inferOutputs(const kiln_model* model, const kiln_tensor* inputs, size_t nIn, kiln_tensor* outputs,
                  size_t nOut);

}  // namespace kiln::rt::impl
