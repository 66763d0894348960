#pragma once
/// The shared kernel plan (backends/common), whose types the CPU backend uses unqualified.
#include "kiln/plan/kernel_plan.h"

namespace kiln::cpu {
using namespace kiln::plan;
}  // namespace kiln::cpu
