#pragma once
/// Inputs and statistics for `kiln bench`: random tensors for every graph input with the
/// batch (first, symbolic) dim set, and percentiles of run times.
#include <cstdint>
#include <vector>

#include "kiln/eval/evaluator.h"
#include "kiln/ir/graph.h"

namespace kiln::cli {

/// The batch sizes bench can run `g` at: `wanted` when every input's first dim is the same
/// symbol (or the inputs have no dims), else the one fixed batch (with a note on stderr
/// when it differs from what was asked). Throws Error(Unsupported) naming the input for a
/// symbolic dim other than the first.
std::vector<int64_t> benchBatchSizes(const Graph& g, const std::vector<int64_t>& wanted);

/// One tensor per graph input, the first dim set to `batch` when it is symbolic. Floats
/// uniform in [-1, 1) from a generator seeded with `seed`; integers and bools zero.
TensorMap randomInputs(const Graph& g, int64_t batch, uint32_t seed);

/// Summary of repeated timings, in seconds.
struct TimingStats {
  double median = 0, p10 = 0, p90 = 0, min = 0, max = 0;
};
/// Percentiles by linear interpolation between the sorted samples (non-empty).
TimingStats summarise(std::vector<double> samples);

}  // namespace kiln::cli
