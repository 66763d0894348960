#include "shape.h"

#include "kiln/kiln_artifact.h"

namespace kiln::rt::impl {

std::string formatDims(const int64_t* dims, size_t rank) {
  std::string text = "[";
  for (size_t d = 0; d < rank; ++d) text += (d ? "," : "") + std::to_string(dims[d]);
  return text + "]";
}

std::string formatDeclared(const std::vector<int64_t>& declared, const std::vector<std::string>& symbols) {
  std::string text = "[";
  for (size_t d = 0; d < declared.size(); ++d) {
    int64_t dim = declared[d];
    text += d ? "," : "";
    text += KILN_DIM_IS_SYMBOL(dim) ? symbols[static_cast<size_t>(KILN_DIM_SYMBOL_INDEX(dim))] : std::to_string(dim);
  }
  return text + "]";
}

std::optional<size_t> denseBytes(const int64_t* dims, size_t rank, size_t elementSize) {
  for (size_t d = 0; d < rank; ++d)
    if (dims[d] == 0) return 0;
  size_t bytes = elementSize;
  for (size_t d = 0; d < rank; ++d) {
    auto extent = static_cast<uint64_t>(dims[d]);
    if (extent != 0 && bytes > SIZE_MAX / extent) return std::nullopt;
    bytes *= extent;
  }
  return bytes;
}

}  // namespace kiln::rt::impl
