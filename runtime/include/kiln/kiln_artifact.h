/*
 * kiln_artifact.h - the contract between a compiled kiln model ("artifact")
 * and the kiln runtime. Plain C11.
 *
 * WHAT AN ARTIFACT IS
 *   A shared library (model.so) produced by a kiln backend. The weights are
 *   embedded as constant data; the library needs no file besides itself and
 *   links against nothing from kiln (the runtime hands it everything it needs
 *   through the structures below). It exports exactly one symbol:
 *
 *       KILN_ARTIFACT_EXPORT const kiln_artifact_header* kiln_artifact_get(void);
 *
 *   which returns a pointer to a static, immutable descriptor. The first
 *   member of every descriptor version is a kiln_artifact_header; the reader
 *   checks `magic`, then `abi_version`, and only then casts to the struct of
 *   that version (version 1: kiln_artifact_v1). The symbol name never changes
 *   between versions, so an old runtime can still say "this artifact needs ABI
 *   version 2" instead of "this is not an artifact".
 *
 * LIFETIME AND OWNERSHIP
 *   Every pointer reachable from the descriptor (strings, arrays, functions)
 *   points into the artifact's own image and stays valid until the library is
 *   unloaded. The runtime never writes to or frees any of it.
 *
 * SHAPES AND SYMBOLS
 *   A tensor's dims are int64_t values. A value >= 0 is a known extent; a
 *   value < 0 encodes a symbolic dim, KILN_DIM_SYMBOL(i), referring to entry i
 *   of the descriptor's symbol table (e.g. "N" for a batch dim left dynamic at
 *   export). Two dims carrying the same symbol always have the same extent.
 *   Every symbol that occurs in an input is "bound" by the runtime from the
 *   caller's tensors before each call. A symbol that occurs only in outputs
 *   is "derived" (e.g. "N*4" after a Flatten); its value is known only after
 *   `plan` has written the output dims.
 *
 * BUFFERS
 *   All input, output and workspace pointers handed to `run` are aligned to
 *   the descriptor's `alignment` (the runtime copies a caller's misaligned
 *   tensor into an aligned staging buffer and back). Tensors are dense and
 *   row-major (C order), with no padding between elements. A pointer may be
 *   NULL only for a tensor with zero elements (or a workspace of zero bytes).
 *   Output buffers never overlap each other or any input. Inputs are
 *   read-only for the artifact.
 *
 * THREADING
 *   `plan` and `run` must be reentrant and thread-safe: the runtime calls them
 *   from several threads at once on one loaded artifact. They keep no mutable
 *   global or static state: all scratch memory lives in the workspace the
 *   caller passes (its size comes from `plan`). They create no threads; for
 *   parallel loops they use the `parallel_for` callback of the run context.
 *   They never throw C++ exceptions, call exit/abort on bad data, or longjmp
 *   out.
 */
#ifndef KILN_ARTIFACT_H
#define KILN_ARTIFACT_H

#include "kiln_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/** "KILN" read as a little-endian uint32: the first field of every descriptor. */
#define KILN_ARTIFACT_MAGIC 0x4E4C494Bu
/** The descriptor layout defined in this header. */
#define KILN_ARTIFACT_ABI_VERSION 1u
/** Name of the symbol every artifact exports. */
#define KILN_ARTIFACT_ENTRY_SYMBOL "kiln_artifact_get"
/**
 * Optional exported data symbol (const char[]): the CPU features the artifact's code uses,
 * comma-separated in LLVM/GCC spelling ("avx2,fma,avx512f"). The loader reads it after dlopen
 * and before running any of the artifact's code, and refuses the artifact (KILN_STATUS_UNSUPPORTED,
 * naming the missing features) on a CPU without them, or when it cannot check a feature.
 * Artifacts without it load unchecked (it is additive to ABI version 1). Setting the
 * environment variable KILN_ASSUME_CPU_LACKS to a comma-separated list makes the loader treat
 * those features as absent (does an artifact load on a CPU without them?).
 */
#define KILN_ARTIFACT_CPU_FEATURES_SYMBOL "kiln_artifact_cpu_features"
/**
 * The x86-64 features that list may name, X(name) each, spelled as LLVM's target features
 * and GCC/Clang's __builtin_cpu_supports spell them. A code generator lists those its target
 * enables; the loader checks each on the host CPU.
 */
#define KILN_ARTIFACT_X86_FEATURES(X)                                                            \
  X("sse4.1") X("sse4.2") X("popcnt") X("avx") X("avx2") X("fma") X("bmi") X("bmi2") X("aes")  \
  X("pclmul") X("avx512f") X("avx512cd") X("avx512bw") X("avx512dq") X("avx512vl")            \
  X("avx512vnni") X("avx512bf16") X("avx512vbmi") X("avx512vbmi2") X("avx512ifma")             \
  X("avx512vpopcntdq") X("avx512bitalg") X("gfni") X("vpclmulqdq")
/** Alignment a code generator should declare unless it needs more (cache line, AVX-512). */
#define KILN_ARTIFACT_DEFAULT_ALIGNMENT 64u
/** Largest `alignment` a descriptor may declare. */
#define KILN_ARTIFACT_MAX_ALIGNMENT 4096u
/** Smallest error buffer the runtime passes to `plan` and `run` (bytes, incl. NUL). */
#define KILN_ARTIFACT_MIN_ERROR_CAPACITY 256u

/** Dim value for symbol number `i` of the symbol table (i >= 0). */
#define KILN_DIM_SYMBOL(i) (-1 - (int64_t)(i))
/** Nonzero when dim value `d` is symbolic rather than a known extent. */
#define KILN_DIM_IS_SYMBOL(d) ((d) < 0)
/** Symbol table index of symbolic dim value `d`. */
#define KILN_DIM_SYMBOL_INDEX(d) ((int32_t)(-1 - (d)))

/** Put on the definition of kiln_artifact_get so it is exported even under -fvisibility=hidden. */
#define KILN_ARTIFACT_EXPORT __attribute__((visibility("default")))

/**
 * Optional exported data symbol (a kiln_artifact_checksum_v1): a checksum of the artifact's
 * constant data -- the weights (packed forms included), and the dims arrays and names the
 * descriptor points to -- recorded at compile time. The loader recomputes it after dlopen and
 * before running any of the artifact's code, and refuses a mismatch (KILN_STATUS_NOT_AN_ARTIFACT:
 * the file was damaged or edited after it was written). It detects corruption, not malice:
 * loading an artifact runs its code. Artifacts without it load unchecked (additive to ABI 1).
 */
#define KILN_ARTIFACT_CHECKSUM_SYMBOL "kiln_artifact_checksum"
/** Most blobs a checksum table may list. */
#define KILN_ARTIFACT_MAX_CHECKSUM_BLOBS (1u << 24)

typedef struct kiln_artifact_checksum_v1 {
  uint64_t value;           /**< kiln_checksum64 over the blobs in order, from KILN_CHECKSUM64_SEED */
  uint64_t num_blobs;       /**< entries of `blobs` and `sizes`, at most KILN_ARTIFACT_MAX_CHECKSUM_BLOBS */
  const void* const* blobs; /**< start of each blob */
  const uint64_t* sizes;    /**< its length in bytes */
} kiln_artifact_checksum_v1;

#define KILN_CHECKSUM64_SEED 0xcbf29ce484222325ull

/**
 * The checksum: an FNV-1a-style mix over 8-byte little-endian words (then the tail bytes),
 * with an extra shift so high bits reach low ones; each blob's length is mixed in first.
 * Fast enough to run over every weight at load (several GB/s); not cryptographic.
 */
static inline uint64_t kiln_checksum64(uint64_t h, const void* data, uint64_t n) {
  const unsigned char* p = (const unsigned char*)data;
  const uint64_t prime = 0x100000001b3ull;
  h = (h ^ n) * prime;
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t w = 0;
    for (int i = 0; i < 8; ++i) w |= (uint64_t)p[i] << (8 * i);
    h = (h ^ w) * prime;
    h ^= h >> 29;
  }
  for (; n > 0; ++p, --n) h = (h ^ *p) * prime;
  return h;
}

/** Fixed prefix of every descriptor version; never changes. */
typedef struct kiln_artifact_header {
  uint32_t magic;       /**< KILN_ARTIFACT_MAGIC */
  uint32_t abi_version; /**< KILN_ARTIFACT_ABI_VERSION the artifact was built against */
} kiln_artifact_header;

/** Signature entry of one model input or output. */
typedef struct kiln_artifact_tensor_v1 {
  /** ONNX value name, NUL-terminated. Unique among the inputs, and among the outputs. */
  const char* name;
  /** A kiln_dtype value. */
  int32_t dtype;
  /** Number of dims, 0 (scalar) to KILN_MAX_RANK. */
  int32_t rank;
  /** `rank` entries: known extent (>= 0) or KILN_DIM_SYMBOL(i). May be NULL when rank is 0. */
  const int64_t* dims;
} kiln_artifact_tensor_v1;

/**
 * Body of a parallel loop: processes iterations [begin, end) of a range.
 * `body_ctx` is the pointer the artifact passed to parallel_for. Bodies of one
 * loop may run concurrently on different threads, so they must only write
 * disjoint memory. A body may itself call parallel_for (the nested loop then
 * runs on the calling thread).
 */
typedef void (*kiln_parallel_body_fn)(void* body_ctx, int64_t begin, int64_t end);

/**
 * Parallel-for provided by the runtime: calls `body` on disjoint sub-ranges
 * that together cover [0, n) exactly once, each at least `grain` iterations
 * long (except possibly the last), and returns when all have finished. With
 * n <= 0 it calls nothing. `pool_ctx` must be the run context's
 * `parallel_ctx`, and the function may only be called during the `run` that
 * received it.
 */
typedef void (*kiln_parallel_for_fn)(void* pool_ctx, int64_t n, int64_t grain,
                                     kiln_parallel_body_fn body, void* body_ctx);

/**
 * Everything `run` gets besides the tensors. Built by the runtime on its stack
 * for one call; valid only during that call; the artifact writes nothing but
 * `error`.
 */
typedef struct kiln_run_context_v1 {
  /** Values of all symbols (num_symbols entries), bound and derived, as `plan` settled them. */
  const int64_t* symbols;
  /** Scratch memory of at least the `workspace_bytes` that `plan` asked for, aligned to
   *  the descriptor's alignment, uninitialized; owned by the runtime; NULL if 0 bytes. */
  void* workspace;
  /** Size of `workspace` in bytes (>= what plan asked for). */
  uint64_t workspace_bytes;
  /** Threads the caller allows for this call (>= 1). A hint for choosing grain sizes. */
  int32_t num_threads;
  /** Runtime's parallel-for; never NULL (runs serially when num_threads is 1). */
  kiln_parallel_for_fn parallel_for;
  /** Opaque first argument of parallel_for. */
  void* parallel_ctx;
  /** Where `run` writes a NUL-terminated message when it fails; owned by the runtime. */
  char* error;
  /** Capacity of `error` in bytes, >= KILN_ARTIFACT_MIN_ERROR_CAPACITY. */
  uint64_t error_capacity;
} kiln_run_context_v1;

/**
 * Version 1 of the descriptor returned by kiln_artifact_get().
 * Static and immutable; lives in the artifact image (see LIFETIME above).
 */
typedef struct kiln_artifact_v1 {
  /** magic = KILN_ARTIFACT_MAGIC, abi_version = 1. */
  kiln_artifact_header header;
  /** Model name (ONNX graph name or file stem), NUL-terminated, never NULL. */
  const char* model_name;
  /** Free-form producer text, e.g. "kiln 0.1.0 cpu-llvm x86-64-v3"; may be NULL. */
  const char* producer;
  /** Alignment in bytes that `run` requires of every buffer; a power of two,
   *  1 to KILN_ARTIFACT_MAX_ALIGNMENT. */
  uint32_t alignment;
  /** Number of entries of symbol_names (>= 0). */
  int32_t num_symbols;
  /** Symbol names ("N", "batch", "N*4"), NUL-terminated, distinct; NULL when num_symbols is 0. */
  const char* const* symbol_names;
  /** Number of inputs (>= 0) and their signatures, in ONNX graph input order. */
  int32_t num_inputs;
  const kiln_artifact_tensor_v1* inputs;
  /** Number of outputs (>= 0) and their signatures, in ONNX graph output order. */
  int32_t num_outputs;
  const kiln_artifact_tensor_v1* outputs;

  /**
   * Settles shapes and memory for one call, from the symbol values alone.
   *   symbols        - num_symbols entries: bound symbols hold their values,
   *                    derived ones -1. `plan` writes every derived symbol's value.
   *   output_dims    - num_outputs arrays, array o holding outputs[o].rank
   *                    entries; `plan` writes each output's actual extents
   *                    (known dims as declared, symbolic dims as the symbol's value).
   *   workspace_bytes- `plan` writes the scratch bytes `run` needs for these symbols.
   *   error, error_capacity - message buffer as in kiln_run_context_v1.
   * Returns KILN_STATUS_OK, or KILN_STATUS_INVALID_INPUT when the symbol values
   * are not supported (e.g. a spatial extent smaller than a kernel), with a message.
   * All pointers are owned by the runtime and valid only during the call.
   */
  int32_t (*plan)(int64_t* symbols, int64_t* const* output_dims, uint64_t* workspace_bytes,
                  char* error, uint64_t error_capacity);

  /**
   * Computes the outputs.
   *   ctx     - see kiln_run_context_v1; symbols are the ones `plan` completed.
   *   inputs  - num_inputs data pointers, in signature order, shapes equal to
   *             the declared dims with symbols substituted.
   *   outputs - num_outputs data pointers, shapes as `plan` wrote them; the
   *             artifact writes every element of every output.
   * Returns KILN_STATUS_OK, or a failure status with a message in ctx->error:
   * KILN_STATUS_INVALID_INPUT for bad values in the data (e.g. a Gather index
   * out of range), KILN_STATUS_OUT_OF_MEMORY, KILN_STATUS_INTERNAL. On failure
   * the outputs' contents are unspecified.
   */
  int32_t (*run)(const kiln_run_context_v1* ctx, const void* const* inputs, void* const* outputs);
} kiln_artifact_v1;

/** Signature of the exported entry point (resolve KILN_ARTIFACT_ENTRY_SYMBOL to this). */
typedef const kiln_artifact_header* (*kiln_artifact_get_fn)(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* KILN_ARTIFACT_H */
