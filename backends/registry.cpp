// The one list of backends: the code generators this build has (backend_list.inc, generated
// by CMake from KILN_WITH_*), then the reference evaluator in fp32 and fp64.
#include "kiln/backends/backend.h"

namespace kiln::backend {

#define KILN_BACKEND(id) std::unique_ptr<Backend> make_##id##_backend();
#include "backend_list.inc"
#undef KILN_BACKEND
std::unique_ptr<Backend> makeReferenceBackend(Precision p);

const std::vector<const Backend*>& registeredBackends() {
  static const std::vector<std::unique_ptr<Backend>> owned = [] {
    std::vector<std::unique_ptr<Backend>> v;
#define KILN_BACKEND(id) v.push_back(make_##id##_backend());
#include "backend_list.inc"
#undef KILN_BACKEND
    v.push_back(makeReferenceBackend(Precision::F32));
    v.push_back(makeReferenceBackend(Precision::F64));
    return v;
  }();
  static const std::vector<const Backend*> table = [] {
    std::vector<const Backend*> v;
    for (const auto& b : owned) v.push_back(b.get());
    return v;
  }();
  return table;
}

}  // namespace kiln::backend
