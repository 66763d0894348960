#include "codegen/artifact_runner.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "codegen/jit_thread_pool.h"
#include "kiln/support/error.h"

namespace kiln::cpu {

namespace {

DType fromAbi(int32_t t) {
  switch (t) {
    case KILN_DTYPE_FLOAT32: return DType::F32;
    case KILN_DTYPE_FLOAT64: return DType::F64;
    case KILN_DTYPE_INT64: return DType::I64;
    case KILN_DTYPE_INT32: return DType::I32;
    case KILN_DTYPE_INT8: return DType::I8;
    case KILN_DTYPE_UINT8: return DType::U8;
    case KILN_DTYPE_BOOL: return DType::Bool;
    default: throw Error(ErrorCode::Internal, "artifact declares unknown dtype " + std::to_string(t));
  }
}

struct AlignedFree {
  void operator()(void* p) const { std::free(p); }
};
using AlignedBuffer = std::unique_ptr<void, AlignedFree>;

AlignedBuffer allocate(size_t bytes, size_t align) {
  const size_t n = std::max<size_t>(align, (bytes + align - 1) / align * align);
  void* p = std::aligned_alloc(align, n);
  if (!p) throw Error(ErrorCode::Internal, "out of memory allocating " + std::to_string(bytes) + " bytes");
  return AlignedBuffer(p);
}

struct Pool {
  int threads = 1;
};

// Splits [0, n) into at most `threads` chunks of at least `grain` iterations, run on the
// persistent JIT pool (jit_thread_pool.h).
void parallelFor(void* poolCtx, int64_t n, int64_t grain, kiln_parallel_body_fn body, void* ctx) {
  if (n <= 0) return;
  const int threads = static_cast<Pool*>(poolCtx)->threads;
  const int64_t chunks = std::clamp<int64_t>(n / std::max<int64_t>(grain, 1), 1, threads);
  jitParallelFor(threads, n, (n + chunks - 1) / chunks, body, ctx);
}

std::string dimsStr(const kiln_artifact_tensor_v1& s, const char* const* names) {
  std::string r = "[";
  for (int32_t d = 0; d < s.rank; ++d)
    r += (d ? "," : "") + (KILN_DIM_IS_SYMBOL(s.dims[d]) ? std::string(names[KILN_DIM_SYMBOL_INDEX(s.dims[d])])
                                                        : std::to_string(s.dims[d]));
  return r + "]";
}

}  // namespace

TensorMap runArtifact(const kiln_artifact_v1& a, const TensorMap& inputs, int numThreads) {
  const size_t align = a.alignment;
  std::vector<int64_t> symbols(static_cast<size_t>(a.num_symbols), -1);
  std::vector<AlignedBuffer> staged;
  std::vector<const void*> inPtrs;
  size_t matched = 0;
  for (int32_t i = 0; i < a.num_inputs; ++i) {
    const kiln_artifact_tensor_v1& s = a.inputs[i];
    auto it = inputs.find(s.name);
    if (it == inputs.end()) throw Error(ErrorCode::InvalidInput, std::string("missing input '") + s.name + "'");
    ++matched;
    const Tensor& t = it->second;
    const std::string want = dimsStr(s, a.symbol_names);
    if (t.dtype != fromAbi(s.dtype))
      throw Error(ErrorCode::InvalidInput, std::string("input '") + s.name + "' must be " +
                                               dtypeName(fromAbi(s.dtype)) + ", got " + dtypeName(t.dtype));
    bool ok = t.rank() == s.rank;
    for (int32_t d = 0; ok && d < s.rank; ++d) {
      if (!KILN_DIM_IS_SYMBOL(s.dims[d])) {
        ok = t.dims[d] == s.dims[d];
        continue;
      }
      int64_t& v = symbols[KILN_DIM_SYMBOL_INDEX(s.dims[d])];
      ok = v < 0 || v == t.dims[d];
      v = t.dims[d];
    }
    if (!ok)
      throw Error(ErrorCode::InvalidInput, std::string("input '") + s.name + "' must have shape " + want +
                                               ", got " + shapeToString(shapeOf(t.dims)));
    staged.push_back(allocate(t.bytes.size(), align));
    if (!t.bytes.empty()) std::memcpy(staged.back().get(), t.bytes.data(), t.bytes.size());
    inPtrs.push_back(staged.back().get());
  }
  if (matched != inputs.size())
    for (const auto& [name, t] : inputs) {
      bool known = false;
      for (int32_t i = 0; i < a.num_inputs; ++i) known |= name == a.inputs[i].name;
      if (!known) throw Error(ErrorCode::InvalidInput, "unknown input '" + name + "'");
    }

  std::vector<std::vector<int64_t>> outDims(static_cast<size_t>(a.num_outputs));
  std::vector<int64_t*> outDimPtrs;
  for (int32_t o = 0; o < a.num_outputs; ++o) {
    outDims[o].resize(static_cast<size_t>(a.outputs[o].rank));
    outDimPtrs.push_back(outDims[o].data());
  }
  char error[KILN_ARTIFACT_MIN_ERROR_CAPACITY] = {0};
  uint64_t wsBytes = 0;
  if (a.plan(symbols.data(), outDimPtrs.data(), &wsBytes, error, sizeof error) != KILN_STATUS_OK)
    throw Error(ErrorCode::InvalidInput, std::string("artifact plan failed: ") + error);

  std::vector<AlignedBuffer> outBufs;
  std::vector<void*> outPtrs;
  for (int32_t o = 0; o < a.num_outputs; ++o) {
    const size_t bytes = static_cast<size_t>(numElements(outDims[o])) * dtypeSize(fromAbi(a.outputs[o].dtype));
    outBufs.push_back(allocate(bytes, align));
    outPtrs.push_back(outBufs.back().get());
  }
  AlignedBuffer ws = allocate(static_cast<size_t>(wsBytes), align);
  Pool pool{std::max(1, numThreads)};
  kiln_run_context_v1 ctx{symbols.data(), ws.get(), wsBytes, pool.threads, &parallelFor, &pool,
                          error, sizeof error};
  if (a.run(&ctx, inPtrs.data(), outPtrs.data()) != KILN_STATUS_OK)
    throw Error(ErrorCode::InvalidInput, std::string("artifact run failed: ") + error);

  TensorMap out;
  for (int32_t o = 0; o < a.num_outputs; ++o) {
    Tensor t(fromAbi(a.outputs[o].dtype), outDims[o]);
    if (!t.bytes.empty()) std::memcpy(t.bytes.data(), outPtrs[o], t.bytes.size());
    out[a.outputs[o].name] = std::move(t);
  }
  return out;
}

}  // namespace kiln::cpu
