// The CPU features an artifact's code needs (KILN_ARTIFACT_CPU_FEATURES_SYMBOL), checked on
// the host before any of that code runs: an AVX-512 artifact on an AVX2 machine is a clear
// error instead of SIGILL in the middle of a run.
#include <dlfcn.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "error.h"
#include "model.h"

namespace kiln::rt::impl {

namespace {

struct HostFeature {
  const char* name;
  bool present;
};

const std::vector<HostFeature>& hostFeatures() {
  static const std::vector<HostFeature> features = [] {
    std::vector<HostFeature> v;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
#define KILN_HOST_FEATURE(n) v.push_back({n, __builtin_cpu_supports(n) != 0});
    KILN_ARTIFACT_X86_FEATURES(KILN_HOST_FEATURE)
#undef KILN_HOST_FEATURE
#endif
    return v;
  }();
  return features;
}

// Features named in $KILN_ASSUME_CPU_LACKS ("avx512f,avx512bw") count as absent: answers
// "would this artifact load on a machine without them?" on a machine that has them.
bool assumedAbsent(const std::string& name) {
  const char* env = std::getenv("KILN_ASSUME_CPU_LACKS");
  if (!env) return false;
  const std::string list = std::string(",") + env + ",";
  return list.find("," + name + ",") != std::string::npos;
}

}  // namespace

void checkCpuFeatures(void* library, const std::string& path) {
  const auto* list = static_cast<const char*>(::dlsym(library, KILN_ARTIFACT_CPU_FEATURES_SYMBOL));
  if (!list) return;  // an artifact that records none (additive to ABI v1)
  checkCpuFeatureList(list, path);
}

void checkCpuFeatureList(const char* list, const std::string& path) {
  std::string missing, unknown;
  const size_t n = ::strnlen(list, 4096);
  size_t at = 0;
  while (at < n) {
    size_t end = std::string_view(list, n).find(',', at);
    if (end == std::string::npos) end = n;
    const std::string name(list + at, end - at);
    at = end + 1;
    if (name.empty()) continue;
    const HostFeature* f = nullptr;
    for (const HostFeature& h : hostFeatures())
      if (name == h.name) f = &h;
    std::string& into = !f ? unknown : missing;
    if (!f || !f->present || assumedAbsent(name)) into += (into.empty() ? "" : ", ") + name;
  }
  if (!missing.empty())
    fail(KILN_STATUS_UNSUPPORTED, "'" + path + "' was compiled for CPU features this CPU lacks: " + missing +
                                      " (recompile it for this machine, e.g. kiln compile --mcpu native)");
  if (!unknown.empty())
    fail(KILN_STATUS_UNSUPPORTED, "'" + path + "' needs CPU features this runtime cannot check on this machine: " + unknown);
}

}  // namespace kiln::rt::impl
