#pragma once
/// What every backend's artifact writes into the descriptor of kiln_artifact.h (the runtime's
/// header-only ABI), computed once from a Program: the dtype codes and the symbol table with
/// its dim encoding.
#include <cstdint>
#include <string>
#include <vector>

#include "kiln/plan/kernel_plan.h"

namespace kiln::plan {

/// KILN_DTYPE_* code of a dtype.
int32_t abiDType(DType t);

/// The artifact's symbol table: the Program's bound symbols (ids 0 .. bound-1, from input
/// dims), then one derived symbol per distinct output dim that is neither a constant nor a
/// bound symbol ("N*4"); the artifact's `plan` computes the derived values.
struct SymbolTable {
  std::vector<std::string> names;  ///< bound, then derived
  std::vector<Poly> derived;       ///< value of names[bound + i]
  size_t bound = 0;

  explicit SymbolTable(const Program& p);
  /// The KILN dim encoding of d: the value of a constant, KILN_DIM_SYMBOL(id) of a symbol;
  /// 0 for a derived dim that is not in the table.
  int64_t dimCode(const Poly& d) const;

 private:
  int64_t find(const Poly& d) const;
};

}  // namespace kiln::plan
