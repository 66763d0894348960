/*
 * A hand-written kiln artifact for the runtime tests: what the code generator will emit,
 * implemented directly against kiln_artifact.h for a tiny model.
 *
 *   inputs : x float32 [N,4], k int64 [N]
 *   outputs: y    float32 [N,4]  = relu(2x + 1)
 *            s    float64 [N]    = sum_j y[n,j] + k[n]
 *            flat float32 [N*4]  = y flattened   ("N*4" is a derived symbol)
 *   plan rejects N > 1024; run rejects a negative k (INVALID_INPUT, with a message).
 *
 * Variants (compile definitions) produce broken artifacts for the error tests:
 *   FAKE_ABI_VERSION=v, FAKE_MAGIC=m, FAKE_NO_ENTRY, FAKE_BAD_DTYPE, FAKE_BROKEN_PLAN,
 *   FAKE_DIM_CODE=d (input x's first dim code), FAKE_CPU_FEATURES="list" (the exported
 *   KILN_ARTIFACT_CPU_FEATURES_SYMBOL).
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "kiln/kiln_artifact.h"

#ifndef FAKE_ABI_VERSION
#define FAKE_ABI_VERSION KILN_ARTIFACT_ABI_VERSION
#endif
#ifndef FAKE_MAGIC
#define FAKE_MAGIC KILN_ARTIFACT_MAGIC
#endif
#ifdef FAKE_BAD_DTYPE
#define FAKE_X_DTYPE 99
#else
#define FAKE_X_DTYPE KILN_DTYPE_FLOAT32
#endif

#define ALIGNMENT 64u
#define MAX_N 1024

/* Test hook, not part of the ABI: the x pointer the last run saw (lets a test tell zero-copy
 * from staging). Atomic because runs happen concurrently. */
KILN_ARTIFACT_EXPORT _Atomic(const void*) fake_last_x_seen;

static const char* const symbol_names[] = {"N", "N*4"};
#ifdef FAKE_DIM_CODE
static const int64_t x_dims[] = {FAKE_DIM_CODE, 4};  /* tampered: a code the check must refuse */
#else
static const int64_t x_dims[] = {KILN_DIM_SYMBOL(0), 4};
#endif
static const int64_t k_dims[] = {KILN_DIM_SYMBOL(0)};
static const int64_t y_dims[] = {KILN_DIM_SYMBOL(0), 4};
static const int64_t s_dims[] = {KILN_DIM_SYMBOL(0)};
static const int64_t flat_dims[] = {KILN_DIM_SYMBOL(1)};

static const kiln_artifact_tensor_v1 inputs[] = {
    {"x", FAKE_X_DTYPE, 2, x_dims},
    {"k", KILN_DTYPE_INT64, 1, k_dims},
};
static const kiln_artifact_tensor_v1 outputs[] = {
    {"y", KILN_DTYPE_FLOAT32, 2, y_dims},
    {"s", KILN_DTYPE_FLOAT64, 1, s_dims},
    {"flat", KILN_DTYPE_FLOAT32, 1, flat_dims},
};

static int32_t fake_plan(int64_t* symbols, int64_t* const* output_dims, uint64_t* workspace_bytes, char* error,
                         uint64_t error_capacity) {
  int64_t n = symbols[0];
  if (n > MAX_N) {
    snprintf(error, error_capacity, "fake model supports N <= %d, got N=%lld", MAX_N, (long long)n);
    return KILN_STATUS_INVALID_INPUT;
  }
  symbols[1] = n * 4;
  output_dims[0][0] = n;
  output_dims[0][1] = 4;
  output_dims[1][0] = n;
#ifdef FAKE_BROKEN_PLAN
  output_dims[2][0] = n * 4 + 1;
#else
  output_dims[2][0] = n * 4;
#endif
  *workspace_bytes = (uint64_t)n * 4 * sizeof(float); /* holds 2x+1 before the relu */
  return KILN_STATUS_OK;
}

typedef struct rows_job {
  const float* x;
  const int64_t* k;
  float* pre; /* workspace */
  float* y;
  double* s;
  float* flat;
} rows_job;

static void rows_body(void* ctx, int64_t begin, int64_t end) {
  const rows_job* job = (const rows_job*)ctx;
  for (int64_t n = begin; n < end; ++n) {
    for (int j = 0; j < 4; ++j) job->pre[n * 4 + j] = 2.0f * job->x[n * 4 + j] + 1.0f;
    for (int j = 0; j < 4; ++j) {
      float v = job->pre[n * 4 + j] > 0.0f ? job->pre[n * 4 + j] : 0.0f;
      job->y[n * 4 + j] = v;
      job->flat[n * 4 + j] = v;
      job->s[n] += v; /* accumulates: a row processed twice would show */
    }
    job->s[n] += (double)job->k[n];
  }
}

static int aligned(const void* p) { return ((uintptr_t)p % ALIGNMENT) == 0; }

static int32_t fake_run(const kiln_run_context_v1* ctx, const void* const* in, void* const* out) {
  int64_t n = ctx->symbols[0];
  atomic_store(&fake_last_x_seen, in[0]);
  if (ctx->symbols[1] != 4 * n || ctx->workspace_bytes < (uint64_t)n * 4 * sizeof(float)) {
    snprintf(ctx->error, ctx->error_capacity, "fake: symbols or workspace not as planned");
    return KILN_STATUS_INTERNAL;
  }
  const void* buffers[] = {in[0], in[1], out[0], out[1], out[2], ctx->workspace};
  for (int b = 0; b < 6; ++b)
    if (n > 0 && (!buffers[b] || !aligned(buffers[b]))) {
      snprintf(ctx->error, ctx->error_capacity, "fake: buffer %d is NULL or not %u-byte aligned", b, ALIGNMENT);
      return KILN_STATUS_INTERNAL;
    }
  rows_job job = {(const float*)in[0], (const int64_t*)in[1], (float*)ctx->workspace,
                  (float*)out[0],      (double*)out[1],       (float*)out[2]};
  for (int64_t i = 0; i < n; ++i) {
    if (job.k[i] < 0) {
      snprintf(ctx->error, ctx->error_capacity, "k[%lld] is negative (%lld)", (long long)i, (long long)job.k[i]);
      return KILN_STATUS_INVALID_INPUT;
    }
    job.s[i] = 0.0;
  }
  ctx->parallel_for(ctx->parallel_ctx, n, 1, rows_body, &job);
  return KILN_STATUS_OK;
}

static const kiln_artifact_v1 descriptor = {
    {FAKE_MAGIC, FAKE_ABI_VERSION},
    "fake_relu",
    "hand-written test fake",
    ALIGNMENT,
    2,
    symbol_names,
    2,
    inputs,
    3,
    outputs,
    fake_plan,
    fake_run,
};

#ifdef FAKE_CPU_FEATURES
KILN_ARTIFACT_EXPORT const char kiln_artifact_cpu_features[] = FAKE_CPU_FEATURES;
#endif

#ifdef FAKE_NO_ENTRY
KILN_ARTIFACT_EXPORT const kiln_artifact_header* some_other_symbol(void) { return &descriptor.header; }
#else
KILN_ARTIFACT_EXPORT const kiln_artifact_header* kiln_artifact_get(void) { return &descriptor.header; }
#endif
