/*
 * kiln_types.h - vocabulary shared by the public runtime API (kiln.h) and the
 * artifact ABI (kiln_artifact.h): element types, status codes, rank limit.
 *
 * Plain C11; every value below is part of the stable ABI: numbers are never
 * reused or renumbered, new ones are only appended.
 */
#ifndef KILN_TYPES_H
#define KILN_TYPES_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Marks a function exported by libkiln_runtime. */
#if defined(_WIN32)
#define KILN_API
#else
#define KILN_API __attribute__((visibility("default")))
#endif

/**
 * Largest tensor rank the runtime accepts. An artifact that declares a tensor
 * of higher rank is rejected at load time (KILN_STATUS_NOT_AN_ARTIFACT).
 */
#define KILN_MAX_RANK 8

/**
 * Element type of a tensor. The numbers are ONNX's TensorProto.DataType codes,
 * so a code generator can copy them from the model unchanged. Only the types
 * listed here are understood; other ONNX codes are rejected.
 */
typedef enum kiln_dtype {
  KILN_DTYPE_FLOAT32 = 1,   /**< IEEE binary32, 4 bytes */
  KILN_DTYPE_UINT8 = 2,     /**< 1 byte */
  KILN_DTYPE_INT8 = 3,      /**< 1 byte */
  KILN_DTYPE_UINT16 = 4,    /**< 2 bytes */
  KILN_DTYPE_INT16 = 5,     /**< 2 bytes */
  KILN_DTYPE_INT32 = 6,     /**< 4 bytes */
  KILN_DTYPE_INT64 = 7,     /**< 8 bytes */
  KILN_DTYPE_BOOL = 9,      /**< 1 byte, 0 or 1 */
  KILN_DTYPE_FLOAT16 = 10,  /**< IEEE binary16, 2 bytes (stored as raw bits) */
  KILN_DTYPE_FLOAT64 = 11,  /**< IEEE binary64, 8 bytes */
  KILN_DTYPE_UINT32 = 12,   /**< 4 bytes */
  KILN_DTYPE_UINT64 = 13,   /**< 8 bytes */
  KILN_DTYPE_BFLOAT16 = 16  /**< bfloat16, 2 bytes (stored as raw bits) */
} kiln_dtype;

/**
 * Result of every fallible runtime call. On anything but KILN_STATUS_OK the
 * calling thread's kiln_last_error() holds a message that names the input,
 * output, file or model involved.
 */
typedef enum kiln_status {
  KILN_STATUS_OK = 0,
  /** API misuse: NULL pointer, wrong number of tensors, index out of range,
   *  output buffer too small, a name that does not match, bad option. */
  KILN_STATUS_INVALID_ARGUMENT = 1,
  /** Tensors that do not fit the model: dtype, rank or extent differs from the
   *  signature, a symbolic dim bound to two different extents, or the model
   *  itself rejected the values (e.g. an index out of range). */
  KILN_STATUS_INVALID_INPUT = 2,
  /** The file is not a loadable shared library, does not export the kiln
   *  entry point, or its descriptor is malformed. */
  KILN_STATUS_NOT_AN_ARTIFACT = 3,
  /** A kiln artifact built for another ABI version than this runtime's. */
  KILN_STATUS_ABI_MISMATCH = 4,
  /** The file could not be opened or read. */
  KILN_STATUS_IO_ERROR = 5,
  /** An allocation failed. */
  KILN_STATUS_OUT_OF_MEMORY = 6,
  /** A bug in kiln or in the artifact (e.g. it broke its own contract). */
  KILN_STATUS_INTERNAL = 7,
  /** The artifact needs what this machine lacks, e.g. CPU features (AVX-512 code on an
   *  AVX2 CPU); the message names what is missing. */
  KILN_STATUS_UNSUPPORTED = 8
} kiln_status;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* KILN_TYPES_H */
