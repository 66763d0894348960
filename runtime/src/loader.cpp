// kiln_model_load: file checks, dlopen, entry point; then, shared with kiln_model_from_artifact,
// magic, ABI version and descriptor checks.
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "elf_check.h"
#include "error.h"
#include "model.h"

namespace kiln::rt::impl {
namespace {

[[noreturn]] void notArtifact(const std::string& path, const std::string& why) {
  fail(KILN_STATUS_NOT_AN_ARTIFACT, "'" + path + "' is not a kiln artifact: " + why);
}

void checkReadableFile(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    fail(KILN_STATUS_IO_ERROR, "cannot open '" + path + "': " + std::strerror(errno));
  if (S_ISDIR(st.st_mode)) fail(KILN_STATUS_IO_ERROR, "cannot open '" + path + "': it is a directory");
  if (!S_ISREG(st.st_mode)) notArtifact(path, "not a regular file");
  if (::access(path.c_str(), R_OK) != 0)
    fail(KILN_STATUS_IO_ERROR, "cannot open '" + path + "': " + std::strerror(errno));
}

// The ELF structure dlopen would trust, checked against the file first (elf_check.h).
void checkElf(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(KILN_STATUS_IO_ERROR, "cannot open '" + path + "': " + std::strerror(errno));
  struct stat st {};
  std::string problem = "not an ELF shared library";
  if (::fstat(fd, &st) == 0)
    problem = elfImageProblem(static_cast<uint64_t>(st.st_size), [&](uint64_t offset, void* out, size_t n) {
      return ::pread(fd, out, n, static_cast<off_t>(offset)) == static_cast<ssize_t>(n);
    });
  ::close(fd);
  if (!problem.empty()) notArtifact(path, problem);
}

std::string hex(uint32_t v) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%08x", v);
  return text;
}

}  // namespace

LibraryHandle::~LibraryHandle() {
  if (handle_) ::dlclose(handle_);
}

std::unique_ptr<kiln_model> loadModel(const char* path) {
  std::string p = path;
  checkReadableFile(p);
  checkElf(p);
  // dlopen searches the library path for a name without '/'; a model path never means that.
  std::string dlPath = p.find('/') == std::string::npos ? "./" + p : p;
  void* raw = ::dlopen(dlPath.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!raw) {
    const char* why = ::dlerror();
    notArtifact(p, std::string("cannot load it as a shared library (") + (why ? why : "unknown reason") + ")");
  }
  auto library = std::make_unique<LibraryHandle>(raw);
  checkCpuFeatures(raw, p);  // before any of its code runs
  checkChecksum(raw, p);
  void* entry = ::dlsym(raw, KILN_ARTIFACT_ENTRY_SYMBOL);
  if (!entry) notArtifact(p, "it does not export " KILN_ARTIFACT_ENTRY_SYMBOL);
  const kiln_artifact_header* header = reinterpret_cast<kiln_artifact_get_fn>(entry)();
  if (!header) notArtifact(p, KILN_ARTIFACT_ENTRY_SYMBOL " returned NULL");
  return modelFromHeader(header, p, std::move(library));
}

std::unique_ptr<kiln_model> modelFromHeader(const kiln_artifact_header* header, const std::string& p,
                                            std::unique_ptr<LibraryHandle> library) {
  if (header->magic != KILN_ARTIFACT_MAGIC)
    notArtifact(p, "wrong magic " + hex(header->magic) + " (expected " + hex(KILN_ARTIFACT_MAGIC) + ")");
  if (header->abi_version != KILN_ARTIFACT_ABI_VERSION)
    fail(KILN_STATUS_ABI_MISMATCH, "'" + p + "' was built for kiln artifact ABI version " +
                                       std::to_string(header->abi_version) + ", this runtime loads version " +
                                       std::to_string(KILN_ARTIFACT_ABI_VERSION));
  const auto& desc = *reinterpret_cast<const kiln_artifact_v1*>(header);
  checkDescriptor(desc, p);
  return std::make_unique<kiln_model>(std::move(library), desc);
}

}  // namespace kiln::rt::impl
