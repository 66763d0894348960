#pragma once
/// Shapes (possibly symbolic) and dense host tensors (constants, run-time inputs/outputs).
#include <cassert>
#include <cstdint>
#include <cstring>
#include <new>
#include <span>
#include <string>
#include <vector>

#include "kiln/ir/dtype.h"

namespace kiln {

/// One dimension of a value's shape: a known extent, or a named symbol such as "batch".
struct Dim {
  int64_t value = -1;   ///< >= 0 when known
  std::string symbol;   ///< non-empty when symbolic (value == -1); empty + -1 = unknown
  static Dim known(int64_t v) { return Dim{v, {}}; }
  static Dim symbolic(std::string s) { return Dim{-1, std::move(s)}; }
  bool isKnown() const { return value >= 0; }
  bool operator==(const Dim&) const = default;
};

/// A shape with a known rank; dims may be symbolic.
using Shape = std::vector<Dim>;

/// "[batch,1,28,28]" style rendering.
std::string shapeToString(const Shape& s);
/// Shape from concrete extents.
Shape shapeOf(const std::vector<int64_t>& dims);
/// True when every dim is known.
bool isStatic(const Shape& s);
/// Product of dims (all must be known).
int64_t numElements(const std::vector<int64_t>& dims);

/// Allocator for 64-byte aligned storage: tensors can then be handed to generated code and
/// to the runtime (which wants 64-byte aligned buffers) without a staging copy.
template <typename T> struct AlignedAllocator {
  using value_type = T;
  static constexpr std::align_val_t kAlignment{64};
  AlignedAllocator() = default;
  template <typename U> AlignedAllocator(const AlignedAllocator<U>&) {}
  T* allocate(size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), kAlignment)); }
  void deallocate(T* p, size_t) { ::operator delete(p, kAlignment); }
  template <typename U> bool operator==(const AlignedAllocator<U>&) const { return true; }
};

/// The bytes of a Tensor, 64-byte aligned.
using TensorBytes = std::vector<uint8_t, AlignedAllocator<uint8_t>>;

/// A dense, row-major host tensor that owns its bytes.
struct Tensor {
  DType dtype = DType::F32;
  std::vector<int64_t> dims;
  TensorBytes bytes;

  Tensor() = default;
  Tensor(DType t, std::vector<int64_t> d) : dtype(t), dims(std::move(d)) {
    bytes.resize(static_cast<size_t>(numElements(dims)) * dtypeSize(dtype));
  }
  int64_t size() const { return numElements(dims); }
  int64_t rank() const { return static_cast<int64_t>(dims.size()); }

  /// Typed view; T must match dtype (asserted).
  template <typename T> std::span<T> data() {
    return {reinterpret_cast<T*>(bytes.data()), bytes.size() / sizeof(T)};
  }
  template <typename T> std::span<const T> data() const {
    return {reinterpret_cast<const T*>(bytes.data()), bytes.size() / sizeof(T)};
  }
  /// Element i converted to double / int64 whatever the dtype.
  double getDouble(int64_t i) const;
  int64_t getInt(int64_t i) const;
  /// All elements converted (handy for small shape tensors and weights).
  std::vector<double> toDoubles() const;
  std::vector<int64_t> toInts() const;

  static Tensor fromFloats(const std::vector<float>& v, std::vector<int64_t> dims);
  static Tensor fromDoubles(const std::vector<double>& v, std::vector<int64_t> dims, DType as = DType::F64);
  static Tensor fromInts(const std::vector<int64_t>& v, std::vector<int64_t> dims, DType as = DType::I64);
  /// Same values converted to another dtype (rounding to nearest for floats).
  Tensor castTo(DType t) const;
};

}  // namespace kiln
