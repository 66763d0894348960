#pragma once
/// The loaded-model object behind the opaque kiln_model handle.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "aligned_buffer.h"
#include "kiln/kiln_artifact.h"

namespace kiln::rt::impl {

/// One input or output signature, unpacked from the descriptor once at load time.
struct TensorSig {
  std::string name;
  int32_t dtype = 0;
  std::vector<int64_t> declared;       ///< descriptor encoding: extent or KILN_DIM_SYMBOL(i)
  std::vector<int64_t> publicDims;     ///< extent, or -1 for a symbolic dim (kiln_tensor_info)
  std::vector<const char*> dimNames;   ///< symbol name or nullptr per dim (kiln_tensor_info)
  size_t rank() const { return declared.size(); }
};

/// Owns a dlopen handle; dlclose on destruction.
class LibraryHandle {
 public:
  explicit LibraryHandle(void* handle) : handle_(handle) {}
  ~LibraryHandle();
  LibraryHandle(const LibraryHandle&) = delete;
  LibraryHandle& operator=(const LibraryHandle&) = delete;
  void* get() const { return handle_; }

 private:
  void* handle_;
};

}  // namespace kiln::rt::impl

/// A loaded artifact. Immutable after loading except for the thread-safe workspace pool.
struct kiln_model {
  kiln_model(std::unique_ptr<kiln::rt::impl::LibraryHandle> library, const kiln_artifact_v1& descriptor);

  std::unique_ptr<kiln::rt::impl::LibraryHandle> library;  ///< declared first: closed last; NULL when
                                                           ///< the caller keeps the code (kiln_model_from_artifact)
  const kiln_artifact_v1& desc;                       ///< lives in the library image (or the caller's code)
  std::string name;
  std::vector<std::string> symbols;
  std::vector<kiln::rt::impl::TensorSig> inputs;
  std::vector<kiln::rt::impl::TensorSig> outputs;
  size_t requiredAlignment;  ///< the descriptor's: a buffer less aligned is staged
  mutable kiln::rt::impl::WorkspacePool workspaces;  ///< thread-safe; shared by concurrent runs
};

namespace kiln::rt::impl {

/// Opens, checks and unpacks the artifact at `path`; throws Failure with IO_ERROR,
/// NOT_AN_ARTIFACT or ABI_MISMATCH.
std::unique_ptr<kiln_model> loadModel(const char* path);

/// Checks magic, ABI version and descriptor behind `header` (non-NULL) and unpacks it into a
/// model that owns `library` (may be NULL: the caller keeps the code alive). `path` is the name
/// messages use. Throws Failure with NOT_AN_ARTIFACT or ABI_MISMATCH.
std::unique_ptr<kiln_model> modelFromHeader(const kiln_artifact_header* header, const std::string& path,
                                            std::unique_ptr<LibraryHandle> library);

/// Throws Failure(NOT_AN_ARTIFACT) naming `path` and the first malformed field of `desc`.
void checkDescriptor(const kiln_artifact_v1& desc, const std::string& path);
/// Refuses (KILN_STATUS_UNSUPPORTED) a loaded library whose KILN_ARTIFACT_CPU_FEATURES_SYMBOL
/// names features this CPU lacks or this runtime cannot check (cpu_features.cpp).
void checkCpuFeatures(void* library, const std::string& path);
/// The same for the feature list itself (read up to its NUL or 4096 bytes, whichever is first).
void checkCpuFeatureList(const char* list, const std::string& path);
/// Refuses (KILN_STATUS_NOT_AN_ARTIFACT) a loaded library whose constant data no longer matches
/// its KILN_ARTIFACT_CHECKSUM_SYMBOL (checksum_check.cpp); no check when it records none.
void checkChecksum(void* library, const std::string& path);

}  // namespace kiln::rt::impl
