// Graph -> plan (with the CUDA target's parameters) -> generated module -> PTX.
#include <cstdlib>
#include <iostream>

#include "compiled_model.h"
#include "kiln/plan/plan.h"
#include "kiln/plan/print.h"
#include "kiln/support/error.h"

namespace kiln::cuda {

namespace {

// The CUDA target's choices for the shared plan. Statistics partials: one thread sums each
// partial, so more partials mean more parallel summing threads (512 partials of [2, groups]
// doubles take 8 KiB per group); the chunking stays fixed per shape, so the sums do not
// depend on the device. A Gemm-kind B operand stays constant, as the CPU backend needs it,
// so both backends compile the same plan.
plan::TargetParams targetParams(const CudaOptions& o) {
  plan::TargetParams t;
  t.maxPartials = 512;
  t.gemmNeedsConstantB = true;
  t.fuse = o.fuse;
  return t;
}

}  // namespace

CompiledModel generateModel(const Graph& g, const CudaOptions& o) {
  if (o.blockSize < 32 || o.blockSize > 1024 || o.blockSize % 32 != 0)
    throw Error(ErrorCode::Unsupported, "cuda backend: a block size of " + std::to_string(o.blockSize) +
                                            " threads is not a multiple of 32 in [32, 1024]");
  CompiledModel m;
  m.program = plan::buildProgram(g, targetParams(o));
  if (const char* dump = std::getenv("KILN_CUDA_DUMP_PLAN"); dump && *dump == '1')
    std::cerr << plan::describeProgram(m.program);
  m.module = writeModule(m.program, o);
  return m;
}

CudaSource generateSource(const Graph& g, const CudaOptions& o) {
  CompiledModel m = generateModel(g, o);
  CudaSource s{m.program.name, std::move(m.module.source), {}};
  for (const Launch& l : m.module.plan.launches) s.kernels.push_back(l.function);
  return s;
}

std::unique_ptr<backend::Executable> compileCuda(const Graph& g, const CudaOptions& o) {
  auto m = std::make_shared<CompiledModel>(generateModel(g, o));
  m->graph = g.clone();
  m->ptx = nvrtcCompile(m->module.source, m->program.name, kPtxArch);
  return makeExecutable(std::move(m));
}

}  // namespace kiln::cuda
