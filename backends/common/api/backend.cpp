#include "kiln/backends/backend.h"

#include "kiln/support/error.h"

namespace kiln::backend {

const std::vector<EmitFormat>& Backend::emitFormats() const {
  static const std::vector<EmitFormat> none;
  return none;
}

void Backend::emit(const Graph&, const CompileOptions&, std::string_view format, const std::string&) const {
  throw Error(ErrorCode::Unsupported, "backend '" + std::string(name()) + "' writes no '" +
                                          std::string(format) + "' files");
}

const Backend* findBackend(std::string_view name) {
  for (const Backend* b : registeredBackends())
    if (b->name() == name) return b;
  return nullptr;
}

}  // namespace kiln::backend
