// Sanity checks of an artifact descriptor before the runtime trusts any of its fields.
#include <set>
#include <string>

#include "dtype.h"
#include "error.h"
#include "model.h"

namespace kiln::rt::impl {
namespace {

constexpr int32_t kMaxCount = 1 << 16;  // far beyond any real model; guards against garbage
constexpr int64_t kMaxExtent = int64_t{1} << 48;  // the compiler's limit (kiln/support/checked_math.h)

[[noreturn]] void malformed(const std::string& path, const std::string& what) {
  fail(KILN_STATUS_NOT_AN_ARTIFACT, "'" + path + "' is not a kiln artifact: malformed descriptor: " + what);
}

void checkTensors(const kiln_artifact_v1& desc, const std::string& path, const char* kind, int32_t count,
                  const kiln_artifact_tensor_v1* tensors) {
  if (count < 0 || count > kMaxCount) malformed(path, std::string(kind) + " count " + std::to_string(count));
  if (count > 0 && !tensors) malformed(path, std::string(kind) + "s array is NULL");
  std::set<std::string> names;
  for (int32_t i = 0; i < count; ++i) {
    const kiln_artifact_tensor_v1& t = tensors[i];
    std::string where = std::string(kind) + " " + std::to_string(i);
    if (!t.name) malformed(path, where + " has no name");
    where += " ('" + std::string(t.name) + "')";
    if (!names.insert(t.name).second) malformed(path, where + " repeats a name");
    if (dtypeSize(t.dtype) == 0) malformed(path, where + " has unknown dtype " + std::to_string(t.dtype));
    if (t.rank < 0 || t.rank > KILN_MAX_RANK) malformed(path, where + " has rank " + std::to_string(t.rank));
    if (t.rank > 0 && !t.dims) malformed(path, where + " has no dims");
    for (int32_t d = 0; d < t.rank; ++d) {
      // In 64 bits: KILN_DIM_SYMBOL_INDEX truncates to int32, so a code like -1 - 2^32 would
      // alias symbol 0.
      const int64_t code = t.dims[d];
      if (code < 0 && -1 - code >= desc.num_symbols)
        malformed(path, where + " dim " + std::to_string(d) + " refers to a symbol that does not exist");
      if (code > kMaxExtent)
        malformed(path, where + " dim " + std::to_string(d) + " is " + std::to_string(code) + ", beyond 2^48");
    }
  }
}

}  // namespace

void checkDescriptor(const kiln_artifact_v1& desc, const std::string& path) {
  if (!desc.model_name) malformed(path, "model_name is NULL");
  uint32_t a = desc.alignment;
  if (a == 0 || (a & (a - 1)) != 0 || a > KILN_ARTIFACT_MAX_ALIGNMENT)
    malformed(path, "alignment " + std::to_string(a) + " is not a power of two up to " +
                        std::to_string(KILN_ARTIFACT_MAX_ALIGNMENT));
  if (desc.num_symbols < 0 || desc.num_symbols > kMaxCount)
    malformed(path, "symbol count " + std::to_string(desc.num_symbols));
  if (desc.num_symbols > 0 && !desc.symbol_names) malformed(path, "symbol_names is NULL");
  std::set<std::string> symbols;
  for (int32_t i = 0; i < desc.num_symbols; ++i) {
    if (!desc.symbol_names[i]) malformed(path, "symbol " + std::to_string(i) + " has no name");
    if (!symbols.insert(desc.symbol_names[i]).second)
      malformed(path, "symbol name '" + std::string(desc.symbol_names[i]) + "' repeats");
  }
  checkTensors(desc, path, "input", desc.num_inputs, desc.inputs);
  checkTensors(desc, path, "output", desc.num_outputs, desc.outputs);
  if (!desc.plan) malformed(path, "plan is NULL");
  if (!desc.run) malformed(path, "run is NULL");
}

}  // namespace kiln::rt::impl
