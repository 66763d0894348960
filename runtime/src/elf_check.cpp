#include "elf_check.h"

#include <elf.h>

#include <cstring>

namespace kiln::rt::impl {
namespace {

#if defined(__x86_64__)
constexpr uint16_t kHostMachine = EM_X86_64;
#elif defined(__aarch64__)
constexpr uint16_t kHostMachine = EM_AARCH64;
#else
constexpr uint16_t kHostMachine = EM_NONE;  // not checked
#endif

}  // namespace

std::string elfImageProblem(uint64_t size, const ElfReader& read) {
  auto readAt = [&](uint64_t offset, void* out, size_t n) {
    return offset <= size && n <= size - offset && read(offset, out, n);
  };
  Elf64_Ehdr eh {};
  if (!readAt(0, &eh, sizeof eh) || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0)
    return "not an ELF shared library";
  if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB)
    return "not a 64-bit little-endian ELF file";
  if (eh.e_type != ET_DYN) return "an ELF file that is not a shared library";
  if (kHostMachine != EM_NONE && eh.e_machine != kHostMachine)
    return "built for another machine type (ELF e_machine " + std::to_string(eh.e_machine) + ")";
  if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0) return "malformed ELF program headers";
  if (eh.e_shnum != 0 && (eh.e_shoff > size || uint64_t{eh.e_shnum} * eh.e_shentsize > size - eh.e_shoff)) {
    // The loader does not need the section headers, but a file cut short loses them first.
    // (e_shoff + the table's size may wrap around 2^64: the message says so instead.)
    const uint64_t table = uint64_t{eh.e_shnum} * eh.e_shentsize;
    const std::string end = eh.e_shoff > UINT64_MAX - table ? "beyond 2^64" : std::to_string(eh.e_shoff + table);
    return "truncated (" + std::to_string(size) + " bytes; its section headers end at " + end + ")";
  }
  for (uint16_t i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph {};
    const uint64_t at = uint64_t{i} * sizeof ph;
    if (eh.e_phoff > UINT64_MAX - at || !readAt(eh.e_phoff + at, &ph, sizeof ph))
      return "truncated (its program headers lie past the end of the file)";
    if (ph.p_type == PT_LOAD && (ph.p_offset > size || ph.p_filesz > size - ph.p_offset)) {
      const std::string end = ph.p_offset > UINT64_MAX - ph.p_filesz ? "beyond 2^64" : std::to_string(ph.p_offset + ph.p_filesz);
      return "truncated (" + std::to_string(size) + " bytes; a segment needs " + end + ")";
    }
  }
  return "";
}

std::string elfImageProblem(const void* data, size_t size) {
  return elfImageProblem(size, [&](uint64_t offset, void* out, size_t n) {
    std::memcpy(out, static_cast<const unsigned char*>(data) + offset, n);  // in range: checked by the caller
    return true;
  });
}

}  // namespace kiln::rt::impl
