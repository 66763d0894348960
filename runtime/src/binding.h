#pragma once
/// Checking caller tensors against a model's signature and binding its symbolic dims.
#include <cstdint>
#include <string>
#include <vector>

#include "kiln/kiln.h"
#include "model.h"

namespace kiln::rt::impl {

/// Symbol values of one call, bound from the inputs, with where each value came from.
class Binding {
 public:
  explicit Binding(const kiln_model& model);

  /// Checks every input (name, dtype, rank, extents, consistent symbols, data, size) and binds
  /// the symbols. `inputs` has model.inputs.size() entries. With requireData false, NULL data
  /// is accepted (kiln_infer_outputs). Throws Failure naming the input.
  void bindInputs(const kiln_tensor* inputs, bool requireData);

  /// Per symbol: its value, or -1 while unbound.
  std::vector<int64_t>& values() { return values_; }
  const std::vector<int64_t>& values() const { return values_; }

  /// "float32 [N,4] (N=any)" or "float32 [N,4] (N=2 from input 'x')": a signature with the
  /// state of each of its symbols, for messages.
  std::string describe(const TensorSig& sig) const;

 private:
  void bindOne(const kiln_tensor& t, const TensorSig& sig, bool requireData);

  const kiln_model& model_;
  std::vector<int64_t> values_;
  std::vector<std::string> sources_;
};

/// Checks that a caller-supplied tensor name (when non-NULL) matches the model's at `index`;
/// `kind` is "input" or "output". Throws Failure(INVALID_ARGUMENT).
void checkName(const char* kind, size_t index, const char* name, const std::vector<TensorSig>& sigs);

/// Dense byte size of `t`'s dims as `sig`'s dtype; throws Failure(INVALID_INPUT) on overflow.
size_t tensorBytes(const char* kind, const TensorSig& sig, const int64_t* dims);

}  // namespace kiln::rt::impl
