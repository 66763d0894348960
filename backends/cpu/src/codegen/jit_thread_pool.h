#pragma once
/// The persistent worker threads behind the JIT runner's parallel_for (artifact_runner.cpp):
/// created once, on the first call that asks for more than one thread.
#include <cstdint>

#include "kiln/kiln_artifact.h"

namespace kiln::cpu {

/// Runs body over [0, n) in chunks of `chunk` iterations on the calling thread plus up to
/// `threads - 1` pool workers and returns when every chunk is done. Runs everything on the
/// calling thread when called from inside a body (nested loop) or while another thread's
/// loop occupies the pool.
void jitParallelFor(int threads, int64_t n, int64_t chunk, kiln_parallel_body_fn body, void* ctx);

}  // namespace kiln::cpu
