#pragma once
/// Accuracy, agreement and deviation bookkeeping for `kiln compare`.
#include <cstdint>
#include <string>
#include <vector>

#include "kiln/ir/tensor.h"

namespace kiln::cli {

/// Argmax of each of the first `rows` rows of `t` (rows = axis 0, the rest flattened).
std::vector<int64_t> argmaxRows(const Tensor& t, int64_t rows);

/// Everything measured for one variant (folded, unfolded or the fp64 reference).
struct VariantStats {
  explicit VariantStats(std::string variantName) : name(std::move(variantName)) {}

  std::string name;
  double seconds = 0;
  int64_t images = 0;
  int64_t correct = 0;       ///< top-1 equal to the label
  int64_t agreeRef = 0;      ///< top-1 equal to the fp64 reference's
  double maxAbsDev = 0;      ///< max |y - ref| over all logits
  double maxRelDev = 0;      ///< max over batches of (max |y - ref|) / (max |ref|)
  bool withinTolerance = true;
  std::vector<int64_t> predictions;  ///< top-1 of every image, in order
  /// The fp64 reference's predictions, to count agreement against (null for the reference).
  const std::vector<int64_t>* refPredictions = nullptr;

  /// Records one batch: `out` holds at least `rows` real rows (padding rows are ignored).
  /// `ref` is the fp64 reference output of the same batch (nullptr for the reference itself).
  void addBatch(const Tensor& out, const Tensor* ref, int64_t rows,
                const std::vector<int64_t>& labels, int64_t firstImage, double atol,
                double rtol);

  double accuracy() const { return images ? double(correct) / double(images) : 0; }
  double agreement() const { return images ? double(agreeRef) / double(images) : 0; }
  double msPerImage() const { return images ? 1e3 * seconds / double(images) : 0; }
};

/// Fraction of images where `a` and `b` predict the same class.
double agreement(const std::vector<int64_t>& a, const std::vector<int64_t>& b);

}  // namespace kiln::cli
