/* kiln vs ONNX Runtime, both called from C, in one process, on the same input and thread count.
 *
 *   capi_bench ORT_LIB ARTIFACT.so MODEL.onnx BATCH THREADS [ROUNDS [TARGET_MS]]
 *
 * ARTIFACT.so is MODEL.onnx compiled by kiln, run with kiln_run (runtime/include/kiln/kiln.h);
 * MODEL.onnx runs in ONNX Runtime 1.20.1 (ORT_LIB: the wheel's onnxruntime/capi/libonnxruntime.so.1.20.1,
 * dlopen'ed), set up like engines.py's OrtEngine: ORT_ENABLE_ALL, intra-op threads = THREADS,
 * inter-op threads 1, sequential execution, session.intra_op.allow_spinning = "0", CPU execution
 * provider, inputs and outputs as OrtValues over buffers allocated once, IoBinding + RunWithBinding.
 * Every symbolic input dim is set to BATCH; inputs are float32 N(0,1) from a fixed seed, shared by
 * both engines. After warm-up, ROUNDS (default 9) interleaved rounds each run kiln then ORT for
 * ~TARGET_MS (default 10) of back-to-back calls; per engine the median over rounds of the mean time
 * per call is printed, with the largest |kiln - ORT| over all outputs (checked after warm-up and
 * after the last round) and the largest |ORT output|:
 *
 *   kiln_us=1.303 ort_us=4.871 maxdiff=9.54e-07 maxabs=12.3
 *
 * Exit status: 0; 1 on any error (message on stderr); 3 when maxdiff > 1e-3 * maxabs.
 *
 * Build: cc -O2 -I runtime/include capi_bench.c -L BUILD/lib -lkiln_runtime -Wl,-rpath,BUILD/lib -ldl -lm
 *
 * ---- ONNX Runtime without its header ----
 * The wheel ships no C header, and this repository does not copy ORT's. The ORT C API is a versioned
 * ABI: the library exports OrtGetApiBase(), which returns two function pointers,
 * GetApi(version) and GetVersionString(); GetApi(v) returns the OrtApi table, an array of function
 * pointers whose order is frozen once a version ships (new functions are only appended). So below
 * are our own declarations: opaque handle types, the enum values we pass, the signatures of the
 * functions we call, and the index ("slot") of each in the table; ORT_FN(slot, type) fetches one.
 *
 * The slot numbers were counted, one per member of `struct OrtApi` in order (every
 * ORT_API2_STATUS(...), ORT_CLASS_RELEASE(...) and plain function-pointer member), in
 * include/onnxruntime/core/session/onnxruntime_c_api.h of a copy with ORT_API_VERSION 22 (no 1.20
 * copy was at hand; an append-only table makes any later copy valid for earlier slots), and
 * cross-checked against the initializer of the table in onnxruntime/core/session/onnxruntime_c_api.cc
 * (ORT 1.17), whose static_asserts pin the ends of versions 1 to 5 at slots 101
 * (ReleaseCustomOpDomain), 118, 124, 126 and 149 (SetGlobalSpinControl). Every slot used here is
 * below 150, i.e. from API version 5 or older, hence the same in 1.20.1. At run time the library
 * must report version "1.20.1" and return a table for API 20, the input/output counts and names ORT
 * reports must match kiln's, ORT must fill the output buffers (they start as NaN) and agree with
 * kiln: a wrong slot would show up as an error or a crash rather than as a timing.
 */
#define _POSIX_C_SOURCE 200809L
#include <dlfcn.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kiln/kiln.h"

/* ---- our minimal ONNX Runtime declarations ---- */

#define ORT_EXPECTED_VERSION "1.20.1"
#define ORT_EXPECTED_API 20u

typedef struct OrtStatus OrtStatus; /* NULL means success */
typedef struct OrtEnv OrtEnv;
typedef struct OrtSessionOptions OrtSessionOptions;
typedef struct OrtSession OrtSession;
typedef struct OrtMemoryInfo OrtMemoryInfo;
typedef struct OrtValue OrtValue;
typedef struct OrtIoBinding OrtIoBinding;
typedef struct OrtRunOptions OrtRunOptions;
typedef struct OrtAllocator OrtAllocator;
typedef void (*OrtFn)(void);  /* one slot of the OrtApi table */
typedef struct {
  const OrtFn* (*GetApi)(uint32_t version);
  const char* (*GetVersionString)(void);
} OrtApiBase;

enum { /* enum values ORT takes (passed as int, which is how C passes these enums) */
  ORT_LOGGING_LEVEL_WARNING = 2,
  ORT_SEQUENTIAL = 0,
  ORT_ENABLE_ALL = 99,
  ORT_ARENA_ALLOCATOR = 1,
  ORT_MEM_TYPE_DEFAULT = 0,
  ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT = 1,
};

enum OrtSlot {
  SLOT_GetErrorMessage = 2,
  SLOT_CreateEnv = 3,
  SLOT_CreateSession = 7,
  SLOT_CreateSessionOptions = 10,
  SLOT_SetSessionExecutionMode = 13,
  SLOT_SetSessionGraphOptimizationLevel = 23,
  SLOT_SetIntraOpNumThreads = 24,
  SLOT_SetInterOpNumThreads = 25,
  SLOT_SessionGetInputCount = 30,
  SLOT_SessionGetOutputCount = 31,
  SLOT_SessionGetInputName = 36,
  SLOT_SessionGetOutputName = 37,
  SLOT_CreateRunOptions = 39,
  SLOT_CreateTensorWithDataAsOrtValue = 49,
  SLOT_CreateCpuMemoryInfo = 69,
  SLOT_AllocatorFree = 76,
  SLOT_GetAllocatorWithDefaultOptions = 78,
  SLOT_ReleaseEnv = 92,
  SLOT_ReleaseMemoryInfo = 94,
  SLOT_ReleaseSession = 95,
  SLOT_ReleaseValue = 96,
  SLOT_ReleaseRunOptions = 97,
  SLOT_ReleaseSessionOptions = 100,
  SLOT_AddSessionConfigEntry = 130,
  SLOT_RunWithBinding = 133,
  SLOT_CreateIoBinding = 134,
  SLOT_ReleaseIoBinding = 135,
  SLOT_BindInput = 136,
  SLOT_BindOutput = 137,
};

typedef const char* (*GetErrorMessageFn)(const OrtStatus*);
typedef OrtStatus* (*CreateEnvFn)(int level, const char* logid, OrtEnv** out);
typedef OrtStatus* (*CreateSessionFn)(const OrtEnv*, const char* path, const OrtSessionOptions*, OrtSession** out);
typedef OrtStatus* (*CreateSessionOptionsFn)(OrtSessionOptions** out);
typedef OrtStatus* (*SetOptionIntFn)(OrtSessionOptions*, int value); /* mode, level, thread counts */
typedef OrtStatus* (*SessionGetCountFn)(const OrtSession*, size_t* out);
typedef OrtStatus* (*SessionGetNameFn)(const OrtSession*, size_t index, OrtAllocator*, char** out);
typedef OrtStatus* (*CreateRunOptionsFn)(OrtRunOptions** out);
typedef OrtStatus* (*CreateTensorWithDataFn)(const OrtMemoryInfo*, void* data, size_t bytes, const int64_t* shape,
                                             size_t rank, int elem_type, OrtValue** out);
typedef OrtStatus* (*CreateCpuMemoryInfoFn)(int allocator_type, int mem_type, OrtMemoryInfo** out);
typedef OrtStatus* (*AllocatorFreeFn)(OrtAllocator*, void* p);
typedef OrtStatus* (*GetDefaultAllocatorFn)(OrtAllocator** out);
typedef void (*ReleaseFn)(void* object);
typedef OrtStatus* (*AddSessionConfigEntryFn)(OrtSessionOptions*, const char* key, const char* value);
typedef OrtStatus* (*RunWithBindingFn)(OrtSession*, const OrtRunOptions*, const OrtIoBinding*);
typedef OrtStatus* (*CreateIoBindingFn)(OrtSession*, OrtIoBinding** out);
typedef OrtStatus* (*BindFn)(OrtIoBinding*, const char* name, const OrtValue*);

static const OrtFn* g_ort;
#define ORT_FN(slot, type) ((type)g_ort[SLOT_##slot])

/* ---- helpers ---- */

static void die(const char* what, const char* msg) {
  fprintf(stderr, "capi_bench: %s: %s\n", what, msg);
  exit(1);
}

static void ort_check(OrtStatus* st, const char* what) {
  if (st) die(what, ORT_FN(GetErrorMessage, GetErrorMessageFn)(st)); /* exits; no ReleaseStatus needed */
}

static void kiln_check(kiln_status st, const char* what) {
  if (st != KILN_STATUS_OK) die(what, kiln_last_error());
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

static int cmp_double(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

static float* alloc_floats(size_t bytes) {
  float* p = aligned_alloc(64, (bytes + 63) / 64 * 64);
  if (!p) die("alloc", "out of memory");
  return p;
}

static uint64_t g_rng = 0x9e3779b97f4a7c15ull;
static double uniform01(void) { /* xorshift64*, in (0, 1) */
  g_rng ^= g_rng >> 12, g_rng ^= g_rng << 25, g_rng ^= g_rng >> 27;
  return ((g_rng * 0x2545f4914f6cdd1dull >> 11) + 0.5) / 9007199254740992.0;
}
static float normal01(void) { /* Box-Muller */
  return (float)(sqrt(-2.0 * log(uniform01())) * cos(6.283185307179586 * uniform01()));
}

/* ---- the two engines, each one call on preallocated buffers ---- */

typedef struct {
  const kiln_model* model;
  const kiln_tensor* in;
  size_t n_in;
  kiln_tensor* out;
  size_t n_out;
  const kiln_run_options* opt;
} KilnCall;

typedef struct {
  OrtSession* session;
  const OrtRunOptions* run_options;
  const OrtIoBinding* binding;
} OrtCall;

static void run_kiln(const void* p) {
  const KilnCall* c = p;
  kiln_check(kiln_run(c->model, c->in, c->n_in, c->out, c->n_out, c->opt), "kiln_run");
}

static void run_ort(const void* p) {
  const OrtCall* c = p;
  ort_check(ORT_FN(RunWithBinding, RunWithBindingFn)(c->session, c->run_options, c->binding), "RunWithBinding");
}

typedef void (*RunFn)(const void*);

/* Calls per round so that one round lasts about target_s (as bench.py's calibrate). */
static long calibrate(RunFn run, const void* ctx, double target_s) {
  run(ctx);
  for (long n = 1;; n *= 4) {
    const double t0 = now();
    for (long i = 0; i < n; ++i) run(ctx);
    const double t = now() - t0;
    if (t >= target_s / 4 || n >= 1L << 20) {
      const long calls = (long)(n * target_s / (t > 1e-9 ? t : 1e-9));
      return calls > 0 ? calls : 1;
    }
  }
}

/* Largest |a - b| over all outputs (inf when only one side is NaN) and largest |b|. */
static void compare(float* const* a, float* const* b, const size_t* count, size_t n_out, double* maxdiff,
                    double* maxabs) {
  *maxdiff = 0, *maxabs = 0;
  for (size_t o = 0; o < n_out; ++o)
    for (size_t i = 0; i < count[o]; ++i) {
      const double x = a[o][i], y = b[o][i];
      if (isnan(x) || isnan(y)) {
        if (!(isnan(x) && isnan(y))) *maxdiff = INFINITY;
        continue;
      }
      if (fabs(x - y) > *maxdiff) *maxdiff = fabs(x - y);
      if (fabs(y) > *maxabs) *maxabs = fabs(y);
    }
}

static void check_agreement(float* const* a, float* const* b, const size_t* count, size_t n_out, const char* when,
                            double* maxdiff, double* maxabs) {
  compare(a, b, count, n_out, maxdiff, maxabs);
  if (!(*maxdiff <= 1e-3 * *maxabs)) {
    fprintf(stderr, "capi_bench: kiln and ORT outputs differ %s: max|diff| = %g, max|ORT| = %g\n", when, *maxdiff,
            *maxabs);
    exit(3);
  }
}

int main(int argc, char** argv) {
  if (argc < 6) {
    fprintf(stderr, "usage: %s ORT_LIB ARTIFACT.so MODEL.onnx BATCH THREADS [ROUNDS [TARGET_MS]]\n", argv[0]);
    return 1;
  }
  const char *ort_lib = argv[1], *artifact = argv[2], *onnx_path = argv[3];
  const int64_t batch = atoll(argv[4]);
  const int threads = atoi(argv[5]);
  const int rounds = argc > 6 ? atoi(argv[6]) : 9;
  const double target_s = (argc > 7 ? atof(argv[7]) : 10.0) / 1e3;
  if (batch < 1 || threads < 1 || rounds < 1 || !(target_s > 0))
    die("arguments", "BATCH, THREADS, ROUNDS and TARGET_MS must be positive");

  /* ORT: load the library, check the version, get the API 20 table. */
  void* lib = dlopen(ort_lib, RTLD_NOW | RTLD_LOCAL);
  if (!lib) die("dlopen", dlerror());
  const OrtApiBase* (*get_api_base)(void);
  *(void**)&get_api_base = dlsym(lib, "OrtGetApiBase");
  if (!get_api_base) die("dlsym OrtGetApiBase", dlerror());
  const OrtApiBase* base = get_api_base();
  const char* version = base->GetVersionString();
  if (strcmp(version, ORT_EXPECTED_VERSION) != 0) {
    fprintf(stderr, "capi_bench: %s is ONNX Runtime %s; the OrtApi slot numbers here are checked for %s only\n",
            ort_lib, version, ORT_EXPECTED_VERSION);
    return 1;
  }
  g_ort = base->GetApi(ORT_EXPECTED_API);
  if (!g_ort) die("GetApi", "ONNX Runtime returned no table for API version 20");

  /* kiln: load the artifact, fix the input shapes (symbolic dims = batch). */
  kiln_model* model = NULL;
  kiln_check(kiln_model_load(artifact, &model), artifact);
  const size_t n_in = kiln_model_num_inputs(model), n_out = kiln_model_num_outputs(model);
  kiln_tensor* kin = calloc(n_in, sizeof *kin);
  kiln_tensor* kout = calloc(n_out, sizeof *kout);
  float **in_data = calloc(n_in, sizeof(float*)), **kout_data = calloc(n_out, sizeof(float*)),
        **oout_data = calloc(n_out, sizeof(float*));
  size_t* out_count = calloc(n_out, sizeof(size_t));
  if (!kin || !kout || !in_data || !kout_data || !oout_data || !out_count) die("alloc", "out of memory");
  for (size_t i = 0; i < n_in; ++i) {
    kiln_tensor_info info;
    kiln_check(kiln_model_input_info(model, i, &info), "kiln_model_input_info");
    if (info.dtype != KILN_DTYPE_FLOAT32) die(info.name, "only float32 inputs are supported");
    kin[i].dtype = KILN_DTYPE_FLOAT32;
    kin[i].rank = info.rank;
    size_t count = 1;
    for (size_t d = 0; d < info.rank; ++d) {
      kin[i].dims[d] = info.dims[d] < 0 ? batch : info.dims[d];
      count *= (size_t)kin[i].dims[d];
    }
    kin[i].bytes = count * sizeof(float);
    kin[i].data = in_data[i] = alloc_floats(kin[i].bytes);
    for (size_t e = 0; e < count; ++e) in_data[i][e] = normal01();
  }
  kiln_check(kiln_infer_outputs(model, kin, n_in, kout, n_out), "kiln_infer_outputs");
  for (size_t o = 0; o < n_out; ++o) {
    if (kout[o].dtype != KILN_DTYPE_FLOAT32) die("output", "only float32 outputs are supported");
    out_count[o] = kout[o].bytes / sizeof(float);
    kout[o].data = kout_data[o] = alloc_floats(kout[o].bytes);
    oout_data[o] = alloc_floats(kout[o].bytes);
    for (size_t e = 0; e < out_count[o]; ++e) kout_data[o][e] = oout_data[o][e] = NAN; /* unwritten => fail */
  }
  kiln_run_options kopt;
  kiln_run_options_init(&kopt);
  kopt.num_threads = threads;

  /* ORT: session configured like engines.py's OrtEngine. */
  OrtEnv* env;
  ort_check(ORT_FN(CreateEnv, CreateEnvFn)(ORT_LOGGING_LEVEL_WARNING, "capi_bench", &env), "CreateEnv");
  OrtSessionOptions* so;
  ort_check(ORT_FN(CreateSessionOptions, CreateSessionOptionsFn)(&so), "CreateSessionOptions");
  ort_check(ORT_FN(SetSessionGraphOptimizationLevel, SetOptionIntFn)(so, ORT_ENABLE_ALL),
            "SetSessionGraphOptimizationLevel");
  ort_check(ORT_FN(SetIntraOpNumThreads, SetOptionIntFn)(so, threads), "SetIntraOpNumThreads");
  ort_check(ORT_FN(SetInterOpNumThreads, SetOptionIntFn)(so, 1), "SetInterOpNumThreads");
  ort_check(ORT_FN(SetSessionExecutionMode, SetOptionIntFn)(so, ORT_SEQUENTIAL), "SetSessionExecutionMode");
  ort_check(ORT_FN(AddSessionConfigEntry, AddSessionConfigEntryFn)(so, "session.intra_op.allow_spinning", "0"),
            "AddSessionConfigEntry");
  OrtSession* session;
  ort_check(ORT_FN(CreateSession, CreateSessionFn)(env, onnx_path, so, &session), onnx_path);

  size_t ort_n_in, ort_n_out;
  ort_check(ORT_FN(SessionGetInputCount, SessionGetCountFn)(session, &ort_n_in), "SessionGetInputCount");
  ort_check(ORT_FN(SessionGetOutputCount, SessionGetCountFn)(session, &ort_n_out), "SessionGetOutputCount");
  if (ort_n_in != n_in || ort_n_out != n_out) {
    fprintf(stderr, "capi_bench: ORT sees %zu inputs / %zu outputs, kiln %zu / %zu\n", ort_n_in, ort_n_out, n_in,
            n_out);
    return 1;
  }
  OrtAllocator* allocator;
  ort_check(ORT_FN(GetAllocatorWithDefaultOptions, GetDefaultAllocatorFn)(&allocator),
            "GetAllocatorWithDefaultOptions");
  OrtMemoryInfo* cpu;
  ort_check(ORT_FN(CreateCpuMemoryInfo, CreateCpuMemoryInfoFn)(ORT_ARENA_ALLOCATOR, ORT_MEM_TYPE_DEFAULT, &cpu),
            "CreateCpuMemoryInfo");
  OrtIoBinding* binding;
  ort_check(ORT_FN(CreateIoBinding, CreateIoBindingFn)(session, &binding), "CreateIoBinding");
  OrtValue** values = calloc(n_in + n_out, sizeof(OrtValue*));
  if (!values) die("alloc", "out of memory");
  for (size_t k = 0; k < n_in + n_out; ++k) { /* inputs, then outputs */
    const int is_in = k < n_in;
    const size_t i = is_in ? k : k - n_in;
    const kiln_tensor* t = is_in ? &kin[i] : &kout[i];
    char* name;
    ort_check((is_in ? ORT_FN(SessionGetInputName, SessionGetNameFn) : ORT_FN(SessionGetOutputName, SessionGetNameFn))(
                  session, i, allocator, &name),
              "SessionGetInputName/OutputName");
    kiln_tensor_info info;
    kiln_check((is_in ? kiln_model_input_info : kiln_model_output_info)(model, i, &info), "kiln tensor info");
    if (strcmp(name, info.name) != 0) {
      fprintf(stderr, "capi_bench: %s %zu is '%s' in ORT but '%s' in kiln\n", is_in ? "input" : "output", i, name,
              info.name);
      return 1;
    }
    ort_check(ORT_FN(CreateTensorWithDataAsOrtValue, CreateTensorWithDataFn)(
                  cpu, is_in ? in_data[i] : oout_data[i], t->bytes, t->dims, t->rank,
                  ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT, &values[k]),
              "CreateTensorWithDataAsOrtValue");
    ort_check((is_in ? ORT_FN(BindInput, BindFn) : ORT_FN(BindOutput, BindFn))(binding, name, values[k]),
              is_in ? "BindInput" : "BindOutput");
    ort_check(ORT_FN(AllocatorFree, AllocatorFreeFn)(allocator, name), "AllocatorFree");
  }
  OrtRunOptions* run_options;
  ort_check(ORT_FN(CreateRunOptions, CreateRunOptionsFn)(&run_options), "CreateRunOptions");

  /* Warm up, check agreement, calibrate, then interleaved rounds. */
  const KilnCall kc = {model, kin, n_in, kout, n_out, &kopt};
  const OrtCall oc = {session, run_options, binding};
  double maxdiff, maxabs;
  run_kiln(&kc);
  run_ort(&oc);
  check_agreement(kout_data, oout_data, out_count, n_out, "after warm-up", &maxdiff, &maxabs);
  const long kiln_calls = calibrate(run_kiln, &kc, target_s), ort_calls = calibrate(run_ort, &oc, target_s);
  double* kiln_s = calloc(rounds, sizeof(double));
  double* ort_s = calloc(rounds, sizeof(double));
  if (!kiln_s || !ort_s) die("alloc", "out of memory");
  for (int r = 0; r < rounds; ++r) {
    double t0 = now();
    for (long i = 0; i < kiln_calls; ++i) run_kiln(&kc);
    kiln_s[r] = (now() - t0) / kiln_calls;
    t0 = now();
    for (long i = 0; i < ort_calls; ++i) run_ort(&oc);
    ort_s[r] = (now() - t0) / ort_calls;
  }
  check_agreement(kout_data, oout_data, out_count, n_out, "after the timed rounds", &maxdiff, &maxabs);
  qsort(kiln_s, rounds, sizeof(double), cmp_double);
  qsort(ort_s, rounds, sizeof(double), cmp_double);
  printf("kiln_us=%.3f ort_us=%.3f maxdiff=%.3g maxabs=%.3g\n", kiln_s[rounds / 2] * 1e6, ort_s[rounds / 2] * 1e6,
         maxdiff, maxabs);

  ORT_FN(ReleaseRunOptions, ReleaseFn)(run_options);
  ORT_FN(ReleaseIoBinding, ReleaseFn)(binding);
  for (size_t k = 0; k < n_in + n_out; ++k) ORT_FN(ReleaseValue, ReleaseFn)(values[k]);
  ORT_FN(ReleaseMemoryInfo, ReleaseFn)(cpu);
  ORT_FN(ReleaseSession, ReleaseFn)(session);
  ORT_FN(ReleaseSessionOptions, ReleaseFn)(so);
  ORT_FN(ReleaseEnv, ReleaseFn)(env);
  kiln_model_free(model);
  return 0;
}
