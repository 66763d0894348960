#pragma once
/// Element types kiln understands.
#include <cstddef>
#include <cstdint>
#include <string>

namespace kiln {

enum class DType : uint8_t { F32, F64, I64, I32, I8, U8, Bool };

/// Size in bytes of one element.
size_t dtypeSize(DType t);
/// Lower-case name ("float32", "int64", ...), as used in messages and `kiln inspect`.
const char* dtypeName(DType t);
/// True for F32 and F64.
inline bool isFloat(DType t) { return t == DType::F32 || t == DType::F64; }

}  // namespace kiln
