#pragma once
/// Symbolic sizes: integer polynomials over the model's bound symbols (e.g. the batch dim
/// "N"). Shapes, strides and buffer sizes are Polys, so "N*784 / 784" simplifies to "N" and
/// two shapes compare equal exactly when they are the same for every symbol value.
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace kiln::plan {

class Poly {
 public:
  Poly() = default;  ///< zero
  Poly(int64_t c);   ///< NOLINT: implicit constant
  /// The polynomial consisting of bound symbol number `id`.
  static Poly symbol(int id);

  bool isConst() const;
  /// Constant term (the whole value when isConst()).
  int64_t constValue() const;
  /// The product of a coefficient and symbols, as (coefficient, sorted symbol ids), when
  /// this is a single term (or zero).
  bool isMonomial() const { return terms_.size() <= 1; }

  Poly operator+(const Poly& o) const;
  Poly operator-(const Poly& o) const;
  Poly operator*(const Poly& o) const;
  bool operator==(const Poly& o) const { return terms_ == o.terms_; }
  /// this / d when d is a single non-zero term dividing every term exactly; nullopt else.
  std::optional<Poly> divExact(const Poly& d) const;

  /// Value for concrete symbol values.
  int64_t evaluate(std::span<const int64_t> symbols) const;
  /// "N*784+1" with symbol names.
  std::string str(const std::vector<std::string>& names) const;

  /// Terms: sorted symbol ids (with repetition) -> coefficient; never a zero coefficient.
  const std::map<std::vector<int>, int64_t>& terms() const { return terms_; }

 private:
  std::map<std::vector<int>, int64_t> terms_;
  void add(const std::vector<int>& mono, int64_t coef);
};

/// Product of a range of dims.
Poly product(std::span<const Poly> dims);

}  // namespace kiln::plan
