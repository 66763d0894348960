/*
 * kiln.h - public C API of the kiln runtime (libkiln_runtime). Plain C11.
 *
 * The runtime loads a model compiled ahead of time by kiln (an "artifact", a
 * shared library; see kiln_artifact.h) and runs it on tensors the caller owns.
 *
 * CONVENTIONS
 *   - Every fallible function returns a kiln_status. On failure it sets the
 *     calling thread's last-error text (kiln_last_error) and leaves its out
 *     parameters as documented per function (never half-written ownership).
 *   - No function aborts, exits or lets a C++ exception escape; an unexpected
 *     internal failure returns KILN_STATUS_INTERNAL.
 *   - Ownership is stated on every pointer. "Borrowed" means the runtime reads
 *     through the pointer only during the call and keeps no reference.
 *
 * THREAD SAFETY
 *   A loaded kiln_model is immutable: kiln_run, kiln_run_alloc,
 *   kiln_infer_outputs and all queries may be called concurrently from any
 *   number of threads on one model (each call gets its own scratch memory).
 *   kiln_model_free must not race with any other call on the same model.
 *
 * SECURITY
 *   Loading an artifact runs its code (it is a shared library): load only files
 *   you would execute.
 */
#ifndef KILN_H
#define KILN_H

#include "kiln_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Errors, element types, version                                          */
/* ------------------------------------------------------------------------ */

/**
 * Message of the most recent failed kiln call on the calling thread, e.g.
 * "input 'x': expected float32 [N,4] (N=any), got float32 [2,3]".
 * Every status-returning call clears it on entry, so after a success it is "".
 * Never NULL. Owned by the runtime (thread-local storage); valid until the
 * next kiln call on the same thread. Copy it if you need it longer.
 */
KILN_API const char* kiln_last_error(void);

/** Static name of a status, e.g. "invalid input"; "unknown status" for other values. */
KILN_API const char* kiln_status_string(kiln_status status);

/** Static lower-case name of a kiln_dtype value ("float32", "int64", ...); "unknown" for other values. */
KILN_API const char* kiln_dtype_name(int32_t dtype);

/** Bytes per element of a kiln_dtype value; 0 for values that are not a kiln_dtype. */
KILN_API size_t kiln_dtype_size(int32_t dtype);

/** Static version text of the runtime library, e.g. "0.1.0". */
KILN_API const char* kiln_version(void);

/** The artifact ABI version this runtime loads (KILN_ARTIFACT_ABI_VERSION of its build). */
KILN_API uint32_t kiln_abi_version(void);

/* ------------------------------------------------------------------------ */
/* Tensors                                                                  */
/* ------------------------------------------------------------------------ */

/**
 * A view of a dense, row-major tensor. The struct itself is a plain value the
 * caller owns (usually on its stack); whether `data` is owned depends on how
 * the struct was filled:
 *   - filled by the caller (inputs, and outputs of kiln_run): `data` belongs
 *     to the caller; the runtime never frees or keeps it (zero-copy: inputs
 *     are read in place when aligned, see kiln_run).
 *   - filled by kiln_run_alloc: `data` belongs to the caller from then on and
 *     must be released with kiln_tensor_free_data (not free()).
 */
typedef struct kiln_tensor {
  /** First element. NULL is allowed only for a tensor with zero elements. */
  void* data;
  /** Size of the buffer at `data` in bytes. For inputs: 0 means "not checked",
   *  otherwise it must cover the elements. For outputs of kiln_run: the
   *  capacity; it must cover the output the model produces. */
  size_t bytes;
  /** Element type: a kiln_dtype value (held in an int32_t so the layout does not
   *  depend on the compiler's enum size). */
  int32_t dtype;
  /** Number of dims, 0 (scalar) to KILN_MAX_RANK. */
  size_t rank;
  /** The first `rank` entries are the extents (>= 0); the rest are ignored. */
  int64_t dims[KILN_MAX_RANK];
  /** Optional borrowed NUL-terminated name. Tensors are matched to the model's
   *  inputs/outputs by position; when `name` is non-NULL it must equal the
   *  model's name at that position (a guard against mixed-up order). */
  const char* name;
} kiln_tensor;

/** Number of elements of `t` (product of its dims; 1 for a scalar), or -1 when t is NULL,
 *  its rank exceeds KILN_MAX_RANK, a dim is negative, or the product overflows. */
KILN_API int64_t kiln_tensor_num_elements(const kiln_tensor* t);

/**
 * Releases `t->data` allocated by kiln_run_alloc and sets data to NULL and
 * bytes to 0. Safe on a tensor whose data is already NULL, and on t == NULL.
 * Must not be used on memory the caller allocated.
 */
KILN_API void kiln_tensor_free_data(kiln_tensor* t);

/* ------------------------------------------------------------------------ */
/* Models                                                                   */
/* ------------------------------------------------------------------------ */

/** Opaque handle of a loaded artifact. Created by kiln_model_load, released by kiln_model_free. */
typedef struct kiln_model kiln_model;

/**
 * Loads the artifact at `path` (borrowed; a path without '/' is taken
 * relative to the working directory, never searched in the library path).
 * On success stores a new model in *out, which the caller owns and releases
 * with kiln_model_free. On failure stores NULL in *out (if out is non-NULL):
 *   KILN_STATUS_IO_ERROR        - the file does not exist or cannot be read
 *   KILN_STATUS_NOT_AN_ARTIFACT - not a shared library, no kiln entry point,
 *                                 wrong magic, or a malformed descriptor
 *   KILN_STATUS_ABI_MISMATCH    - built for another artifact ABI version
 */
KILN_API kiln_status kiln_model_load(const char* path, kiln_model** out);

/**
 * Makes a model from an artifact descriptor that is already in memory, e.g. one
 * a JIT compiled, or one obtained by calling kiln_artifact_get of a library the
 * caller opened. `header` (borrowed; declared in kiln_artifact.h) is what
 * kiln_artifact_get returned; the caller keeps the code and data behind it
 * (descriptor, strings, dims, plan and run functions) alive and unchanged
 * until kiln_model_free, which releases nothing of it (no dlclose). `display_name` (borrowed, copied; NULL for a
 * default) names the artifact in messages where a file loader names the path.
 * The header is checked as kiln_model_load checks a file's, with the same
 * statuses and messages: KILN_STATUS_NOT_AN_ARTIFACT for wrong magic or a
 * malformed descriptor, KILN_STATUS_ABI_MISMATCH for another ABI version;
 * KILN_STATUS_INVALID_ARGUMENT for NULL header or out. On success stores a new
 * model in *out (released with kiln_model_free); on failure stores NULL there.
 */
struct kiln_artifact_header; /* defined in kiln_artifact.h */
KILN_API kiln_status kiln_model_from_artifact(const struct kiln_artifact_header* header, const char* display_name,
                                              kiln_model** out);

/** Unloads a model. NULL is a no-op. No call on the model may be running or follow. */
KILN_API void kiln_model_free(kiln_model* model);

/** Model name from the artifact; owned by the model, valid until kiln_model_free. "" for NULL. */
KILN_API const char* kiln_model_name(const kiln_model* model);

/** Number of inputs; 0 for NULL. */
KILN_API size_t kiln_model_num_inputs(const kiln_model* model);

/** Number of outputs; 0 for NULL. */
KILN_API size_t kiln_model_num_outputs(const kiln_model* model);

/**
 * Signature of one input or output. Every pointer in it is owned by the model
 * and valid until kiln_model_free; the struct itself is the caller's.
 */
typedef struct kiln_tensor_info {
  /** Value name from the ONNX graph. */
  const char* name;
  /** Element type: a kiln_dtype value. */
  int32_t dtype;
  /** Number of dims. */
  size_t rank;
  /** `rank` entries: the extent, or -1 for a symbolic dim. */
  const int64_t* dims;
  /** `rank` entries: the symbol name ("N") of a symbolic dim, NULL for a known one. */
  const char* const* dim_names;
} kiln_tensor_info;

/** Fills *info with the signature of input `index`. INVALID_ARGUMENT for a NULL pointer or index out of range. */
KILN_API kiln_status kiln_model_input_info(const kiln_model* model, size_t index, kiln_tensor_info* info);

/** Fills *info with the signature of output `index`. INVALID_ARGUMENT for a NULL pointer or index out of range. */
KILN_API kiln_status kiln_model_output_info(const kiln_model* model, size_t index, kiln_tensor_info* info);

/* ------------------------------------------------------------------------ */
/* Running                                                                  */
/* ------------------------------------------------------------------------ */

/**
 * Per-call options. Initialize with kiln_run_options_init (so fields added
 * later get defaults); passing NULL for options means all defaults.
 */
typedef struct kiln_run_options {
  /** sizeof(kiln_run_options) as the caller compiled it; set by kiln_run_options_init. */
  size_t struct_size;
  /** Threads one call may use, the calling thread included. 0 (default): as many as
   *  the machine has cores. 1: everything on the calling thread. Larger values are
   *  capped at the size of the runtime's internal pool + 1. Negative: INVALID_ARGUMENT. */
  int32_t num_threads;
} kiln_run_options;

/** Sets every field of *options to its default. */
KILN_API void kiln_run_options_init(kiln_run_options* options);

/**
 * Runs the model on caller-provided buffers.
 *   inputs  - borrowed array of n_in tensors, in the model's input order; n_in
 *             must equal kiln_model_num_inputs. Each must match its signature:
 *             same dtype and rank, known extents equal, and each symbol bound
 *             to one extent across all inputs (the first input that uses it
 *             binds it). Data is read in place; a buffer not aligned to what
 *             the artifact requires is copied to aligned scratch first.
 *   outputs - borrowed array of n_out tensors (n_out == kiln_model_num_outputs).
 *             The runtime reads `data`, `bytes` and `name`; `bytes` must cover
 *             the output (see kiln_infer_outputs to learn the sizes ahead).
 *             Output buffers must not overlap each other or any input. On
 *             success the runtime writes dtype, rank and dims of every output.
 *   options - borrowed, may be NULL.
 * Failures: INVALID_ARGUMENT (API misuse, buffer too small), INVALID_INPUT
 * (tensors do not fit the model, or the model rejected the values),
 * OUT_OF_MEMORY, INTERNAL. On failure output buffers may have been partly
 * written, and the outputs' shape fields are unchanged.
 */
KILN_API kiln_status kiln_run(const kiln_model* model, const kiln_tensor* inputs, size_t n_in,
                              kiln_tensor* outputs, size_t n_out, const kiln_run_options* options);

/**
 * Like kiln_run, but the runtime allocates every output. On entry only `name`
 * of each output is read (optional check); on success data, bytes, dtype, rank
 * and dims are written, and each `data` (aligned to at least 64 bytes, non-NULL
 * even for zero elements) now belongs to the caller, who releases it with
 * kiln_tensor_free_data. On failure nothing is allocated and every output's
 * data is NULL and bytes 0.
 */
KILN_API kiln_status kiln_run_alloc(const kiln_model* model, const kiln_tensor* inputs, size_t n_in,
                                    kiln_tensor* outputs, size_t n_out, const kiln_run_options* options);

/**
 * Computes the output shapes the given inputs would produce, without running.
 * Inputs are checked as in kiln_run, except that their `data` may be NULL.
 * On success writes dtype, rank, dims and bytes (the size a buffer needs) of
 * each output; `data` is left alone, so the caller can allocate and then call
 * kiln_run with the same array.
 */
KILN_API kiln_status kiln_infer_outputs(const kiln_model* model, const kiln_tensor* inputs, size_t n_in,
                                        kiln_tensor* outputs, size_t n_out);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* KILN_H */
