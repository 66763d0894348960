// The checksum an artifact records of its constant data (KILN_ARTIFACT_CHECKSUM_SYMBOL),
// recomputed after dlopen and before any of its code runs: weights damaged or edited after
// compilation are a clear error instead of silently wrong outputs.
#include <dlfcn.h>
#include <link.h>

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "error.h"
#include "model.h"

namespace kiln::rt::impl {

namespace {

// The loaded segments [start, end) of `library`: a blob the table lists must lie inside one,
// so a damaged size or pointer is an error rather than a read of unmapped memory.
std::vector<std::pair<uintptr_t, uintptr_t>> loadedSegments(void* library) {
  struct Query {
    uintptr_t base;
    std::vector<std::pair<uintptr_t, uintptr_t>> segments;
  } q{0, {}};
  link_map* map = nullptr;
  if (::dlinfo(library, RTLD_DI_LINKMAP, &map) != 0 || !map) return {};
  q.base = map->l_addr;
  ::dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* data) {
        auto* query = static_cast<Query*>(data);
        if (info->dlpi_addr != query->base) return 0;
        for (int i = 0; i < info->dlpi_phnum; ++i) {
          const ElfW(Phdr)& ph = info->dlpi_phdr[i];
          if (ph.p_type == PT_LOAD)
            query->segments.emplace_back(info->dlpi_addr + ph.p_vaddr, info->dlpi_addr + ph.p_vaddr + ph.p_memsz);
        }
        return 1;
      },
      &q);
  return q.segments;
}

bool inside(const std::vector<std::pair<uintptr_t, uintptr_t>>& segments, const void* p, uint64_t n) {
  const auto a = reinterpret_cast<uintptr_t>(p);
  for (const auto& [lo, hi] : segments)
    if (a >= lo && a <= hi && n <= hi - a) return true;
  return false;
}

}  // namespace

void checkChecksum(void* library, const std::string& path) {
  const auto* c = static_cast<const kiln_artifact_checksum_v1*>(::dlsym(library, KILN_ARTIFACT_CHECKSUM_SYMBOL));
  if (!c) return;  // an artifact that records none (additive to ABI v1)
  auto corrupt = [&](const std::string& why) {
    fail(KILN_STATUS_NOT_AN_ARTIFACT, "'" + path + "' is damaged: " + why);
  };
  if (c->num_blobs > KILN_ARTIFACT_MAX_CHECKSUM_BLOBS)
    corrupt("its checksum table lists " + std::to_string(c->num_blobs) + " blobs, more than " +
            std::to_string(KILN_ARTIFACT_MAX_CHECKSUM_BLOBS));
  const auto segments = loadedSegments(library);
  if (segments.empty()) corrupt("its loaded segments cannot be found to check its checksum table");
  if (!inside(segments, c, sizeof *c)) corrupt("its checksum table lies outside the library");
  if (c->num_blobs > 0 && (!inside(segments, c->blobs, c->num_blobs * sizeof(void*)) ||
                           !inside(segments, c->sizes, c->num_blobs * sizeof(uint64_t))))
    corrupt("its checksum table's lists lie outside the library");
  uint64_t h = KILN_CHECKSUM64_SEED;
  for (uint64_t i = 0; i < c->num_blobs; ++i) {
    if (!inside(segments, c->blobs[i], c->sizes[i]))
      corrupt("blob " + std::to_string(i) + " of its checksum table lies outside the library");
    h = kiln_checksum64(h, c->blobs[i], c->sizes[i]);
  }
  if (h != c->value) {
    char buf[96];
    std::snprintf(buf, sizeof buf, " (0x%016llx, recorded 0x%016llx)", static_cast<unsigned long long>(h),
                  static_cast<unsigned long long>(c->value));
    corrupt(std::string("its weights or descriptor data do not match the checksum recorded when it was compiled") +
            buf + "; compile it again");
  }
}

}  // namespace kiln::rt::impl
