#include "compare_stats.h"

#include <algorithm>
#include <cmath>

#include "kiln/support/error.h"

namespace kiln::cli {

namespace {

int64_t rowLength(const Tensor& t) {
  if (t.rank() < 1 || t.dims[0] == 0)
    throw Error(ErrorCode::InvalidInput,
                "the model output must have a batch axis, got " + shapeToString(shapeOf(t.dims)));
  return t.size() / t.dims[0];
}

}  // namespace

std::vector<int64_t> argmaxRows(const Tensor& t, int64_t rows) {
  const int64_t len = rowLength(t);
  std::vector<double> v = t.toDoubles();
  std::vector<int64_t> out;
  out.reserve(static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) {
    auto begin = v.begin() + r * len;
    out.push_back(std::max_element(begin, begin + len) - begin);
  }
  return out;
}

void VariantStats::addBatch(const Tensor& out, const Tensor* ref, int64_t rows,
                            const std::vector<int64_t>& labels, int64_t firstImage,
                            double atol, double rtol) {
  std::vector<int64_t> top1 = argmaxRows(out, rows);
  for (int64_t r = 0; r < rows; ++r) {
    const size_t image = static_cast<size_t>(firstImage + r);
    if (!labels.empty() && top1[r] == labels[image]) ++correct;
    if (refPredictions && top1[r] == (*refPredictions)[image]) ++agreeRef;
  }
  predictions.insert(predictions.end(), top1.begin(), top1.end());
  images += rows;
  if (!ref) return;
  if (ref->dims != out.dims)
    throw Error(ErrorCode::Internal, name + " output shape " + shapeToString(shapeOf(out.dims)) +
                                         " differs from the reference's " +
                                         shapeToString(shapeOf(ref->dims)));
  const int64_t n = rows * rowLength(out);
  std::vector<double> y = out.toDoubles(), r = ref->toDoubles();
  double dev = 0, scale = 0;
  for (int64_t i = 0; i < n; ++i) {
    double d = std::abs(y[i] - r[i]);
    dev = std::isnan(d) ? INFINITY : std::max(dev, d);
    scale = std::max(scale, std::abs(r[i]));
  }
  maxAbsDev = std::max(maxAbsDev, dev);
  maxRelDev = std::max(maxRelDev, scale > 0 ? dev / scale : dev);
  if (dev > atol + rtol * scale) withinTolerance = false;
}

double agreement(const std::vector<int64_t>& a, const std::vector<int64_t>& b) {
  size_t n = std::min(a.size(), b.size()), same = 0;
  for (size_t i = 0; i < n; ++i) same += a[i] == b[i];
  return n ? double(same) / double(n) : 0;
}

}  // namespace kiln::cli
