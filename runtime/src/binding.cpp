#include "binding.h"

#include <algorithm>

#include "dtype.h"
#include "error.h"
#include "shape.h"

namespace kiln::rt::impl {
namespace {

std::string quoted(const std::string& kind, const std::string& name) { return kind + " '" + name + "'"; }

}  // namespace

Binding::Binding(const kiln_model& model)
    : model_(model), values_(model.symbols.size(), -1), sources_(model.symbols.size()) {}

std::string Binding::describe(const TensorSig& sig) const {
  std::string text = dtypeText(sig.dtype) + " " + formatDeclared(sig.declared, model_.symbols);
  std::vector<int32_t> seen;
  for (int64_t dim : sig.declared) {
    if (!KILN_DIM_IS_SYMBOL(dim)) continue;
    int32_t k = KILN_DIM_SYMBOL_INDEX(dim);
    if (std::find(seen.begin(), seen.end(), k) != seen.end()) continue;
    auto ku = static_cast<size_t>(k);
    text += seen.empty() ? " (" : ", ";
    text += model_.symbols[ku] + "=";
    text += values_[ku] < 0 ? "any" : std::to_string(values_[ku]) + " from " + sources_[ku];
    seen.push_back(k);
  }
  return seen.empty() ? text : text + ")";
}

void checkName(const char* kind, size_t index, const char* name, const std::vector<TensorSig>& sigs) {
  if (!name || sigs[index].name == name) return;
  std::string message = std::string(kind) + " " + std::to_string(index) + ": name '" + name +
                        "' does not match the model's " + kind + " " + std::to_string(index) + " '" +
                        sigs[index].name + "' (tensors are matched by position";
  for (size_t j = 0; j < sigs.size(); ++j)
    if (sigs[j].name == name) message += "; '" + sigs[j].name + "' is " + kind + " " + std::to_string(j);
  fail(KILN_STATUS_INVALID_ARGUMENT, message + ")");
}

size_t tensorBytes(const char* kind, const TensorSig& sig, const int64_t* dims) {
  auto bytes = denseBytes(dims, sig.rank(), dtypeSize(sig.dtype));
  if (!bytes)
    fail(KILN_STATUS_INVALID_INPUT, quoted(kind, sig.name) + ": " + formatDims(dims, sig.rank()) +
                                        " has more elements than memory can hold");
  return *bytes;
}

void Binding::bindInputs(const kiln_tensor* inputs, bool requireData) {
  for (size_t i = 0; i < model_.inputs.size(); ++i) {
    checkName("input", i, inputs[i].name, model_.inputs);
    bindOne(inputs[i], model_.inputs[i], requireData);
  }
}

void Binding::bindOne(const kiln_tensor& t, const TensorSig& sig, bool requireData) {
  std::string who = quoted("input", sig.name);
  if (t.rank > KILN_MAX_RANK)
    fail(KILN_STATUS_INVALID_ARGUMENT,
         who + ": rank " + std::to_string(t.rank) + " exceeds KILN_MAX_RANK (" + std::to_string(KILN_MAX_RANK) + ")");
  for (size_t d = 0; d < t.rank; ++d)
    if (t.dims[d] < 0)
      fail(KILN_STATUS_INVALID_ARGUMENT,
           who + ": dim " + std::to_string(d) + " is negative (" + std::to_string(t.dims[d]) + ")");

  // Messages show the symbols as earlier inputs left them, not as this tensor half-bound them.
  std::vector<int64_t> before = values_;
  auto mismatch = [&] {
    values_ = before;
    fail(KILN_STATUS_INVALID_INPUT,
         who + ": expected " + describe(sig) + ", got " + dtypeText(t.dtype) + " " + formatDims(t.dims, t.rank));
  };
  if (t.dtype != sig.dtype || t.rank != sig.rank()) mismatch();
  for (size_t d = 0; d < t.rank; ++d) {
    int64_t declared = sig.declared[d];
    if (!KILN_DIM_IS_SYMBOL(declared)) {
      if (t.dims[d] != declared) mismatch();
      continue;
    }
    auto k = static_cast<size_t>(KILN_DIM_SYMBOL_INDEX(declared));
    if (values_[k] < 0) {
      values_[k] = t.dims[d];
      sources_[k] = who;
    } else if (values_[k] != t.dims[d]) {
      mismatch();
    }
  }

  size_t bytes = tensorBytes("input", sig, t.dims);
  if (requireData && !t.data && bytes > 0) fail(KILN_STATUS_INVALID_ARGUMENT, who + ": data is NULL");
  if (t.bytes != 0 && t.bytes < bytes)
    fail(KILN_STATUS_INVALID_ARGUMENT, who + ": buffer of " + std::to_string(t.bytes) + " bytes is smaller than " +
                                           dtypeText(sig.dtype) + " " + formatDims(t.dims, t.rank) + " needs (" +
                                           std::to_string(bytes) + " bytes)");
}

}  // namespace kiln::rt::impl
