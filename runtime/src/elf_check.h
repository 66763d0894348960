#pragma once
/// The ELF structure dlopen would trust, checked against the size of the file before it is
/// mapped: a truncated or foreign file must be an error, not a SIGBUS when the loader maps
/// past the end of the file. Used by the loader on a file and by the fuzzer (tests/fuzz) on a
/// byte buffer; nothing here maps or loads anything.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace kiln::rt::impl {

/// Copies `n` bytes at `offset` of the image into `out`; false when they are not all there.
using ElfReader = std::function<bool(uint64_t offset, void* out, size_t n)>;

/// Why an image of `size` bytes that `read` reads may not be handed to dlopen ("not an ELF
/// shared library", "truncated (...)", ...), or "" when its header, program headers and
/// section-header table are consistent with `size` and the host (64-bit little-endian ET_DYN
/// for this machine).
std::string elfImageProblem(uint64_t size, const ElfReader& read);

/// The same for an image already in memory (`data` holds `size` bytes).
std::string elfImageProblem(const void* data, size_t size);

}  // namespace kiln::rt::impl
