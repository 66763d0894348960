#pragma once
/// Host evaluation of the plan's symbol-only expressions (thread counts, workspace offsets and
/// size, partial counts) for the symbol values of one run.
#include <cstdint>
#include <span>

#include "plan_types.h"

namespace kiln::cuda {

/// Value of an I64 (or Bool, as 0/1) expression over Size and constants. Throws
/// Error(Internal) for anything that reads loop variables, buffers or floats.
int64_t evaluateSymbolic(const Expr& e, std::span<const int64_t> symbols);

}  // namespace kiln::cuda
