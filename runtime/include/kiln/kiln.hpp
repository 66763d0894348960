// kiln.hpp - thin C++ RAII wrapper over the kiln runtime C API (kiln.h). Header-only, C++17.
//
// Failures throw kiln::rt::Error carrying the kiln_status and kiln_last_error() text.
// Ownership follows the C API: kiln_tensor views never own data; kiln::rt::Tensor owns
// what kiln_run_alloc allocated; kiln::rt::Model owns the loaded artifact.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "kiln.h"

namespace kiln::rt {

/// A failed runtime call: the status and the message kiln_last_error() gave.
class Error : public std::runtime_error {
 public:
  Error(kiln_status status, const std::string& message) : std::runtime_error(message), status_(status) {}
  /// Status the C call returned (never KILN_STATUS_OK).
  kiln_status status() const noexcept { return status_; }

 private:
  kiln_status status_;
};

/// Throws Error when `status` is not KILN_STATUS_OK.
inline void check(kiln_status status) {
  if (status != KILN_STATUS_OK) throw Error(status, kiln_last_error());
}

/// kiln_dtype code of a C++ element type, e.g. dtypeOf<float>() == KILN_DTYPE_FLOAT32.
template <class T>
constexpr int32_t dtypeOf() {
  using U = std::remove_cv_t<T>;
  if constexpr (std::is_same_v<U, float>) return KILN_DTYPE_FLOAT32;
  else if constexpr (std::is_same_v<U, double>) return KILN_DTYPE_FLOAT64;
  else if constexpr (std::is_same_v<U, int64_t>) return KILN_DTYPE_INT64;
  else if constexpr (std::is_same_v<U, int32_t>) return KILN_DTYPE_INT32;
  else if constexpr (std::is_same_v<U, int16_t>) return KILN_DTYPE_INT16;
  else if constexpr (std::is_same_v<U, int8_t>) return KILN_DTYPE_INT8;
  else if constexpr (std::is_same_v<U, uint64_t>) return KILN_DTYPE_UINT64;
  else if constexpr (std::is_same_v<U, uint32_t>) return KILN_DTYPE_UINT32;
  else if constexpr (std::is_same_v<U, uint16_t>) return KILN_DTYPE_UINT16;
  else if constexpr (std::is_same_v<U, uint8_t>) return KILN_DTYPE_UINT8;
  else if constexpr (std::is_same_v<U, bool>) return KILN_DTYPE_BOOL;
  else static_assert(sizeof(T) == 0, "no kiln_dtype for this type");
}

/// A non-owning kiln_tensor over `data` (borrowed; must outlive every call the view is used
/// in) with the given dims. `bytes` is set from the dims; `name` (borrowed) is optional.
template <class T>
kiln_tensor view(T* data, const std::vector<int64_t>& dims, const char* name = nullptr) {
  if (dims.size() > KILN_MAX_RANK) throw Error(KILN_STATUS_INVALID_ARGUMENT, "rank exceeds KILN_MAX_RANK");
  kiln_tensor t{};
  t.data = const_cast<std::remove_const_t<T>*>(data);
  t.dtype = dtypeOf<T>();
  t.rank = dims.size();
  for (size_t d = 0; d < dims.size(); ++d) t.dims[d] = dims[d];
  int64_t n = kiln_tensor_num_elements(&t);
  t.bytes = n > 0 ? static_cast<size_t>(n) * sizeof(T) : 0;
  t.name = name;
  return t;
}

/// An output tensor whose data the runtime allocated (kiln_run_alloc). Move-only; frees the
/// data with kiln_tensor_free_data.
class Tensor {
 public:
  /// Takes ownership of `raw.data`, which must come from kiln_run_alloc.
  explicit Tensor(const kiln_tensor& raw) noexcept : t_(raw) {}
  Tensor(Tensor&& other) noexcept : t_(other.t_) { other.t_.data = nullptr; }
  Tensor& operator=(Tensor&& other) noexcept {
    if (this != &other) {
      kiln_tensor_free_data(&t_);
      t_ = other.t_;
      other.t_.data = nullptr;
    }
    return *this;
  }
  Tensor(const Tensor&) = delete;
  Tensor& operator=(const Tensor&) = delete;
  ~Tensor() { kiln_tensor_free_data(&t_); }

  /// The underlying view (data still owned by this object).
  const kiln_tensor& raw() const noexcept { return t_; }
  int32_t dtype() const noexcept { return t_.dtype; }
  std::vector<int64_t> dims() const { return {t_.dims, t_.dims + t_.rank}; }
  int64_t numElements() const noexcept { return kiln_tensor_num_elements(&t_); }
  /// Typed element pointer; throws Error(INVALID_ARGUMENT) when T does not match the dtype.
  template <class T>
  const T* data() const {
    if (dtypeOf<T>() != t_.dtype)
      throw Error(KILN_STATUS_INVALID_ARGUMENT, std::string("tensor holds ") + kiln_dtype_name(t_.dtype));
    return static_cast<const T*>(t_.data);
  }

 private:
  kiln_tensor t_;
};

/// Signature of one model input or output, copied out of the model.
struct TensorInfo {
  std::string name;
  int32_t dtype = 0;
  std::vector<int64_t> dims;            ///< -1 for a symbolic dim
  std::vector<std::string> dimNames;    ///< symbol name of a symbolic dim, "" for a known one
};

/// A loaded artifact. Move-only; unloads on destruction. Const member functions may be called
/// from several threads at once.
class Model {
 public:
  /// Loads the artifact at `path`; throws Error (IO_ERROR, NOT_AN_ARTIFACT, ABI_MISMATCH).
  static Model load(const std::string& path) {
    kiln_model* raw = nullptr;
    check(kiln_model_load(path.c_str(), &raw));
    return Model(raw);
  }

  /// Wraps an artifact already in memory (kiln_model_from_artifact): the caller keeps the code
  /// and data behind `header` alive until this Model (and every Model moved from it) is gone.
  /// Throws Error (NOT_AN_ARTIFACT, ABI_MISMATCH, INVALID_ARGUMENT).
  static Model fromArtifact(const struct kiln_artifact_header* header, const std::string& displayName) {
    kiln_model* raw = nullptr;
    check(kiln_model_from_artifact(header, displayName.c_str(), &raw));
    return Model(raw);
  }

  /// The C handle (still owned by this object).
  kiln_model* get() const noexcept { return model_.get(); }
  std::string name() const { return kiln_model_name(get()); }
  size_t numInputs() const noexcept { return kiln_model_num_inputs(get()); }
  size_t numOutputs() const noexcept { return kiln_model_num_outputs(get()); }
  TensorInfo input(size_t index) const { return info(index, kiln_model_input_info); }
  TensorInfo output(size_t index) const { return info(index, kiln_model_output_info); }

  /// kiln_run on caller buffers; on return each output's dtype, rank and dims are set.
  void run(const std::vector<kiln_tensor>& inputs, std::vector<kiln_tensor>& outputs, int32_t numThreads = 0) const {
    kiln_run_options options = makeOptions(numThreads);
    check(kiln_run(get(), inputs.data(), inputs.size(), outputs.data(), outputs.size(), &options));
  }

  /// kiln_run_alloc: the runtime allocates the outputs, which the returned Tensors own.
  std::vector<Tensor> runAlloc(const std::vector<kiln_tensor>& inputs, int32_t numThreads = 0) const {
    std::vector<kiln_tensor> raw(numOutputs());
    kiln_run_options options = makeOptions(numThreads);
    check(kiln_run_alloc(get(), inputs.data(), inputs.size(), raw.data(), raw.size(), &options));
    std::vector<Tensor> owned;
    owned.reserve(raw.size());
    for (const kiln_tensor& t : raw) owned.emplace_back(t);  // noexcept after reserve
    return owned;
  }

  /// kiln_infer_outputs: output shapes and byte sizes (data NULL) for these inputs.
  std::vector<kiln_tensor> inferOutputs(const std::vector<kiln_tensor>& inputs) const {
    std::vector<kiln_tensor> outputs(numOutputs());
    check(kiln_infer_outputs(get(), inputs.data(), inputs.size(), outputs.data(), outputs.size()));
    return outputs;
  }

 private:
  struct Free {
    void operator()(kiln_model* m) const noexcept { kiln_model_free(m); }
  };
  explicit Model(kiln_model* raw) : model_(raw) {}

  static kiln_run_options makeOptions(int32_t numThreads) {
    kiln_run_options options;
    kiln_run_options_init(&options);
    options.num_threads = numThreads;
    return options;
  }

  TensorInfo info(size_t index, kiln_status (*query)(const kiln_model*, size_t, kiln_tensor_info*)) const {
    kiln_tensor_info raw{};
    check(query(get(), index, &raw));
    TensorInfo out;
    out.name = raw.name;
    out.dtype = raw.dtype;
    out.dims.assign(raw.dims, raw.dims + raw.rank);
    for (size_t d = 0; d < raw.rank; ++d) out.dimNames.emplace_back(raw.dim_names[d] ? raw.dim_names[d] : "");
    return out;
  }

  std::unique_ptr<kiln_model, Free> model_;
};

}  // namespace kiln::rt
