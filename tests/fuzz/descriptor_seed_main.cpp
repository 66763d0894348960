// kiln_fuzz_descriptor_seed ARTIFACT.so OUT: writes the descriptor of a trusted, freshly built
// artifact (one `kiln compile` wrote, or a test's fake artifact) in the artifact fuzzer's
// descriptor encoding (descriptor_codec.h), as a seed. This loads ARTIFACT.so with dlopen and
// calls its entry point, so it is only ever run on artifacts the build made, never on fuzz
// inputs or findings. An artifact of another magic or ABI version is written with its header
// only (the rest zero), one without an entry point is an error.
#include <dlfcn.h>

#include <cstdio>
#include <fstream>

#include "descriptor_codec.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s ARTIFACT.so OUT\n", argv[0]);
    return 2;
  }
  void* lib = ::dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    std::fprintf(stderr, "%s: cannot load '%s': %s\n", argv[0], argv[1], ::dlerror());
    return 1;
  }
  auto get = reinterpret_cast<kiln_artifact_get_fn>(::dlsym(lib, KILN_ARTIFACT_ENTRY_SYMBOL));
  const kiln_artifact_header* header = get ? get() : nullptr;
  if (!header) {
    std::fprintf(stderr, "%s: '%s' has no descriptor\n", argv[0], argv[1]);
    return 1;
  }
  kiln_artifact_v1 desc {};
  if (header->magic == KILN_ARTIFACT_MAGIC && header->abi_version == KILN_ARTIFACT_ABI_VERSION)
    desc = *reinterpret_cast<const kiln_artifact_v1*>(header);
  else
    desc.header = *header;
  const auto* features = static_cast<const char*>(::dlsym(lib, KILN_ARTIFACT_CPU_FEATURES_SYMBOL));
  const std::string bytes = kiln::fuzz::encodeArtifact(desc, features);
  std::ofstream out(argv[2], std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out.flush()) {
    std::fprintf(stderr, "%s: cannot write '%s'\n", argv[0], argv[2]);
    return 1;
  }
  return 0;  // the library stays loaded until exit: `desc` points into it
}
