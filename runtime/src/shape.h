#pragma once
/// Shape arithmetic and shape text shared by input checks, planning and messages.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kiln::rt::impl {

/// "[2,3,28,28]"; "[]" for a scalar.
std::string formatDims(const int64_t* dims, size_t rank);

/// "[N,1,28,28]": declared dims (descriptor encoding) with symbols spelled by name.
std::string formatDeclared(const std::vector<int64_t>& declared, const std::vector<std::string>& symbols);

/// Bytes of a dense tensor with these (non-negative) dims, or nullopt when it overflows size_t.
std::optional<size_t> denseBytes(const int64_t* dims, size_t rank, size_t elementSize);

/// `value` rounded up to a multiple of `alignment` (a power of two).
inline size_t alignUp(size_t value, size_t alignment) { return (value + alignment - 1) & ~(alignment - 1); }

}  // namespace kiln::rt::impl
