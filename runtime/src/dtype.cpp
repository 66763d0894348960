#include "dtype.h"

#include "kiln/kiln_types.h"

namespace kiln::rt::impl {
namespace {
struct DtypeFact {
  int32_t code;
  size_t size;
  const char* name;
};
constexpr DtypeFact kFacts[] = {
    {KILN_DTYPE_FLOAT32, 4, "float32"}, {KILN_DTYPE_UINT8, 1, "uint8"},
    {KILN_DTYPE_INT8, 1, "int8"},       {KILN_DTYPE_UINT16, 2, "uint16"},
    {KILN_DTYPE_INT16, 2, "int16"},     {KILN_DTYPE_INT32, 4, "int32"},
    {KILN_DTYPE_INT64, 8, "int64"},     {KILN_DTYPE_BOOL, 1, "bool"},
    {KILN_DTYPE_FLOAT16, 2, "float16"}, {KILN_DTYPE_FLOAT64, 8, "float64"},
    {KILN_DTYPE_UINT32, 4, "uint32"},   {KILN_DTYPE_UINT64, 8, "uint64"},
    {KILN_DTYPE_BFLOAT16, 2, "bfloat16"},
};

const DtypeFact* find(int32_t dtype) noexcept {
  for (const DtypeFact& f : kFacts)
    if (f.code == dtype) return &f;
  return nullptr;
}
}  // namespace

size_t dtypeSize(int32_t dtype) noexcept {
  const DtypeFact* f = find(dtype);
  return f ? f->size : 0;
}

const char* dtypeName(int32_t dtype) noexcept {
  const DtypeFact* f = find(dtype);
  return f ? f->name : "unknown";
}

std::string dtypeText(int32_t dtype) {
  const DtypeFact* f = find(dtype);
  return f ? std::string(f->name) : "dtype(" + std::to_string(dtype) + ")";
}

}  // namespace kiln::rt::impl
