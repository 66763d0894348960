#include "artifact_contract.h"

#include <elf.h>

#include <cstring>
#include <set>

namespace kiln::fuzz {
namespace {

bool inside(uint64_t offset, uint64_t length, size_t size) { return offset <= size && length <= size - offset; }

bool knownDtype(int32_t d) {
  switch (d) {
    case KILN_DTYPE_FLOAT32: case KILN_DTYPE_UINT8: case KILN_DTYPE_INT8: case KILN_DTYPE_UINT16:
    case KILN_DTYPE_INT16: case KILN_DTYPE_INT32: case KILN_DTYPE_INT64: case KILN_DTYPE_BOOL:
    case KILN_DTYPE_FLOAT16: case KILN_DTYPE_FLOAT64: case KILN_DTYPE_UINT32: case KILN_DTYPE_UINT64:
    case KILN_DTYPE_BFLOAT16:
      return true;
    default:
      return false;
  }
}

std::string tensorsViolation(const kiln_artifact_v1& d, const char* kind, int32_t count,
                             const kiln_artifact_tensor_v1* tensors) {
  if (count < 0) return std::string(kind) + " count is negative";
  if (count > 0 && !tensors) return std::string(kind) + "s array is NULL";
  std::set<std::string> names;
  for (int32_t i = 0; i < count; ++i) {
    const kiln_artifact_tensor_v1& t = tensors[i];
    const std::string where = std::string(kind) + " " + std::to_string(i);
    if (!t.name) return where + " has no name";
    if (!names.insert(t.name).second) return where + " repeats a name";
    if (!knownDtype(t.dtype)) return where + " has dtype " + std::to_string(t.dtype);
    if (t.rank < 0 || t.rank > KILN_MAX_RANK) return where + " has rank " + std::to_string(t.rank);
    if (t.rank > 0 && !t.dims) return where + " has no dims";
    for (int32_t k = 0; k < t.rank; ++k)
      if (t.dims[k] < -int64_t{d.num_symbols})  // KILN_DIM_SYMBOL(i) = -1 - i names symbol i
        return where + " dim " + std::to_string(k) + " names no symbol";
  }
  return "";
}

}  // namespace

std::string acceptedElfViolation(const uint8_t* data, size_t size) {
  Elf64_Ehdr eh;
  if (!inside(0, sizeof eh, size)) return "the ELF header is cut off";
  std::memcpy(&eh, data, sizeof eh);
  if (eh.e_type != ET_DYN) return "not ET_DYN";
  if (eh.e_phentsize != sizeof(Elf64_Phdr)) return "program header size " + std::to_string(eh.e_phentsize);
  const uint64_t table = uint64_t{eh.e_phnum} * sizeof(Elf64_Phdr);
  if (!inside(eh.e_phoff, table, size)) return "the program-header table lies beyond the end";
  if (eh.e_shnum && !inside(eh.e_shoff, uint64_t{eh.e_shnum} * eh.e_shentsize, size))
    return "the section-header table lies beyond the end";
  for (uint16_t i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph;
    std::memcpy(&ph, data + eh.e_phoff + uint64_t{i} * sizeof ph, sizeof ph);
    if (ph.p_type == PT_LOAD && !inside(ph.p_offset, ph.p_filesz, size))
      return "PT_LOAD segment " + std::to_string(i) + " lies beyond the end";
  }
  return "";
}

std::string acceptedDescriptorViolation(const kiln_artifact_v1& d) {
  if (d.header.magic != KILN_ARTIFACT_MAGIC) return "wrong magic";
  if (d.header.abi_version != KILN_ARTIFACT_ABI_VERSION) return "another ABI version";
  if (!d.model_name) return "model_name is NULL";
  if (d.alignment == 0 || (d.alignment & (d.alignment - 1)) || d.alignment > KILN_ARTIFACT_MAX_ALIGNMENT)
    return "alignment " + std::to_string(d.alignment);
  if (d.num_symbols < 0) return "negative symbol count";
  if (d.num_symbols > 0 && !d.symbol_names) return "symbol_names is NULL";
  std::set<std::string> symbols;
  for (int32_t i = 0; i < d.num_symbols; ++i)
    if (!d.symbol_names[i] || !symbols.insert(d.symbol_names[i]).second) return "symbol " + std::to_string(i);
  if (std::string v = tensorsViolation(d, "input", d.num_inputs, d.inputs); !v.empty()) return v;
  if (std::string v = tensorsViolation(d, "output", d.num_outputs, d.outputs); !v.empty()) return v;
  if (!d.plan || !d.run) return "plan or run is NULL";
  return "";
}

std::string loadedModelMismatch(const kiln_model* model, const kiln_artifact_v1& d) {
  if (std::strcmp(kiln_model_name(model), d.model_name) != 0) return "model name";
  for (int input = 0; input < 2; ++input) {
    const int32_t count = input ? d.num_inputs : d.num_outputs;
    const kiln_artifact_tensor_v1* tensors = input ? d.inputs : d.outputs;
    const char* kind = input ? "input" : "output";
    if ((input ? kiln_model_num_inputs(model) : kiln_model_num_outputs(model)) != static_cast<size_t>(count))
      return std::string("number of ") + kind + "s";
    for (int32_t i = 0; i < count; ++i) {
      kiln_tensor_info info {};
      const kiln_status s = input ? kiln_model_input_info(model, i, &info) : kiln_model_output_info(model, i, &info);
      const std::string where = std::string(kind) + " " + std::to_string(i);
      const kiln_artifact_tensor_v1& t = tensors[i];
      if (s != KILN_STATUS_OK) return where + ": info fails";
      if (std::strcmp(info.name, t.name) != 0 || info.dtype != t.dtype || info.rank != static_cast<size_t>(t.rank))
        return where + ": name, dtype or rank";
      for (int32_t k = 0; k < t.rank; ++k) {
        const bool symbolic = KILN_DIM_IS_SYMBOL(t.dims[k]);
        if (info.dims[k] != (symbolic ? -1 : t.dims[k])) return where + " dim " + std::to_string(k);
        const char* name = info.dim_names[k];
        if (symbolic ? !name || std::strcmp(name, d.symbol_names[KILN_DIM_SYMBOL_INDEX(t.dims[k])]) != 0 : name != nullptr)
          return where + " dim name " + std::to_string(k);
      }
    }
    kiln_tensor_info past {};
    if ((input ? kiln_model_input_info(model, count, &past) : kiln_model_output_info(model, count, &past)) !=
        KILN_STATUS_INVALID_ARGUMENT)
      return std::string(kind) + " index " + std::to_string(count) + " is not refused";
  }
  return "";
}

}  // namespace kiln::fuzz
