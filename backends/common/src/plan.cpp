#include "kiln/plan/plan.h"

#include "kiln/plan/schedule.h"
#include "lower.h"

namespace kiln::plan {

Program buildProgram(const Graph& g, const TargetParams& params) {
  Program p = lowerGraph(g, params);
  if (params.fuse) fuseKernels(p);
  planMemory(p);
  return p;
}

}  // namespace kiln::plan
