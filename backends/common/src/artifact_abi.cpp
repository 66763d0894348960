#include "kiln/plan/artifact_abi.h"

#include <set>

#include "kiln/kiln_artifact.h"
#include "kiln/support/error.h"

namespace kiln::plan {

int32_t abiDType(DType t) {
  switch (t) {
    case DType::F32: return KILN_DTYPE_FLOAT32;
    case DType::F64: return KILN_DTYPE_FLOAT64;
    case DType::I64: return KILN_DTYPE_INT64;
    case DType::I32: return KILN_DTYPE_INT32;
    case DType::I8: return KILN_DTYPE_INT8;
    case DType::U8: return KILN_DTYPE_UINT8;
    case DType::Bool: return KILN_DTYPE_BOOL;
  }
  return 0;
}

namespace {

// A lone symbol with coefficient 1 ("N"), as its id; -1 otherwise.
int64_t singleSymbol(const Poly& d) {
  if (d.terms().size() != 1) return -1;
  const auto& [mono, coef] = *d.terms().begin();
  return coef == 1 && mono.size() == 1 ? mono[0] : -1;
}

// What the runtime's descriptor check (runtime/src/descriptor_check.cpp) would refuse, as a
// compile error naming the tensor: more dims than KILN_MAX_RANK, a name listed twice.
void checkSignature(const std::vector<Signature>& sigs, const char* kind) {
  std::set<std::string> names;
  for (const Signature& s : sigs) {
    if (s.dims.size() > KILN_MAX_RANK)
      throw Error(ErrorCode::Unsupported, std::string(kind) + " '" + s.name + "' has rank " +
                                              std::to_string(s.dims.size()) + "; kiln artifacts take at most " +
                                              std::to_string(KILN_MAX_RANK) + " dims (KILN_MAX_RANK)");
    if (!names.insert(s.name).second)
      throw Error(ErrorCode::InvalidModel, std::string(kind) + " '" + s.name + "' is listed twice in the graph's " +
                                               kind + "s");
  }
}

}  // namespace

SymbolTable::SymbolTable(const Program& p) : names(p.symbols), bound(p.symbols.size()) {
  checkSignature(p.inputs, "input");
  checkSignature(p.outputs, "output");
  const std::vector<std::string> boundNames = p.symbols;
  for (const Signature& s : p.outputs)
    for (const Poly& d : s.dims)
      if (!d.isConst() && singleSymbol(d) < 0 && find(d) < 0) {
        derived.push_back(d);
        names.push_back(d.str(boundNames));
      }
}

int64_t SymbolTable::find(const Poly& d) const {
  for (size_t i = 0; i < derived.size(); ++i)
    if (derived[i] == d) return static_cast<int64_t>(bound + i);
  return -1;
}

int64_t SymbolTable::dimCode(const Poly& d) const {
  if (d.isConst()) return d.constValue();
  if (const int64_t s = singleSymbol(d); s >= 0) return KILN_DIM_SYMBOL(s);
  const int64_t id = find(d);
  return id < 0 ? 0 : KILN_DIM_SYMBOL(id);
}

}  // namespace kiln::plan
