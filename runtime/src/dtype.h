#pragma once
/// Element type facts for the runtime (the C API exposes them as kiln_dtype_name/size).
#include <cstddef>
#include <cstdint>
#include <string>

namespace kiln::rt::impl {

/// Bytes per element; 0 when `dtype` is not a kiln_dtype value.
size_t dtypeSize(int32_t dtype) noexcept;
/// Static name ("float32"); "unknown" when `dtype` is not a kiln_dtype value.
const char* dtypeName(int32_t dtype) noexcept;
/// Name for messages: dtypeName, or "dtype(99)" for an unknown code.
std::string dtypeText(int32_t dtype);

}  // namespace kiln::rt::impl
