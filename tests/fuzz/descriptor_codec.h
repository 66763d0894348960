#pragma once
/// A byte encoding of an artifact descriptor (kiln_artifact_v1) for the artifact fuzzer: the
/// fuzzer decodes its input into a descriptor laid out in memory as an artifact would lay it
/// out (every array exactly as long as its count says, when the count is plausible), and the
/// seed tool encodes the descriptors of real compiled artifacts. Little-endian throughout;
/// reading past the end of the input yields zeros, so every input decodes to something.
///
///   u32 magic, u32 abi_version, u8 null_flags (bit: model_name 0, producer 1, symbol_names 2,
///   inputs 3, outputs 4, plan 5, run 6; bit 7: a CPU-feature list follows the outputs)
///   str model_name, str producer, u32 alignment
///   i32 num_symbols, then that many { u8 is_null, str name }       (see kMaxDecodedCount)
///   i32 num_inputs, tensors; i32 num_outputs, tensors; [str cpu_features]
///   tensor = u8 null_flags (bit: name 0, dims 1), str name, i32 dtype, i32 rank, rank x i64 dim
///   str = u16 length, bytes (NUL-terminated when decoded)
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kiln/kiln_artifact.h"

namespace kiln::fuzz {

/// Counts above this decode to an empty array (the runtime must refuse them before reading).
constexpr int32_t kMaxDecodedCount = 1 << 17;
/// Ranks above this decode to an empty dims array.
constexpr int32_t kMaxDecodedRank = 64;

/// A descriptor and the storage behind its pointers (plan and run point at stubs that fail).
struct DecodedArtifact {
  kiln_artifact_v1 desc {};
  bool hasCpuFeatures = false;
  std::string cpuFeatures;

  std::vector<std::unique_ptr<std::string>> strings;
  std::vector<std::unique_ptr<const char*[]>> nameArrays;
  std::vector<std::unique_ptr<kiln_artifact_tensor_v1[]>> tensorArrays;
  std::vector<std::unique_ptr<int64_t[]>> dimArrays;
  std::string emptyString;  ///< every name read past the end of the input
  std::unique_ptr<int64_t[]> noDims = std::make_unique<int64_t[]>(0);  ///< every rank-0 tensor's dims
};

/// Decodes `size` bytes (see the format above); never fails.
std::unique_ptr<DecodedArtifact> decodeArtifact(const uint8_t* data, size_t size);

/// Encodes `desc` (a real artifact's, trusted) and its CPU-feature list (NULL: none).
std::string encodeArtifact(const kiln_artifact_v1& desc, const char* cpuFeatures);

}  // namespace kiln::fuzz
