#pragma once
/// The pass pipeline: one table (pipeline.cpp) lists every pass in order with the reason it
/// sits where it sits.
#include "kiln/passes/pass.h"

namespace kiln {

/// Runs the standard pipeline on g (shape inference is re-run after rewrites).
void runPipeline(Graph& g, const PassOptions& options, PassReport& report);

/// Names of the passes in pipeline order (for `kiln inspect` and tests).
std::vector<std::string> pipelinePassNames();

}  // namespace kiln
