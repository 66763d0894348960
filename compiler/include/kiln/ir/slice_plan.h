#pragma once
/// ONNX Slice arithmetic shared by shape inference, the reference evaluator and the lowering:
/// which axes a Slice touches and, once an axis's extent is known, where it starts and how
/// many elements it keeps.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace kiln {

/// One sliced axis as the node gives it (axis normalised, start/end as written).
struct SliceAxis {
  int64_t axis = 0, start = 0, end = 0, step = 1;
  /// True when the slice keeps the whole axis in order, whatever its extent.
  bool whole() const { return step == 1 && start == 0 && end >= std::numeric_limits<int32_t>::max(); }
};

/// Pairs starts/ends with axes (default 0..n-1) and steps (default 1). Returns the error
/// message when the lengths disagree, an axis is out of range or repeated, or a step is 0.
inline std::optional<std::string> planSlice(const std::vector<int64_t>& starts, const std::vector<int64_t>& ends,
                                            const std::vector<int64_t>* axes, const std::vector<int64_t>* steps,
                                            int64_t rank, std::vector<SliceAxis>& out) {
  const size_t n = starts.size();
  if (ends.size() != n) return "starts and ends have different lengths";
  if (axes && axes->size() != n) return "axes and starts have different lengths";
  if (steps && steps->size() != n) return "steps and starts have different lengths";
  std::vector<bool> seen(static_cast<size_t>(std::max<int64_t>(rank, 0)), false);
  out.clear();
  for (size_t i = 0; i < n; ++i) {
    int64_t a = axes ? (*axes)[i] : static_cast<int64_t>(i);
    if (a < -rank || a >= rank) return "axis " + std::to_string(a) + " is out of range for rank " + std::to_string(rank);
    if (a < 0) a += rank;
    if (seen[static_cast<size_t>(a)]) return "axis " + std::to_string(a) + " is repeated";
    seen[static_cast<size_t>(a)] = true;
    const int64_t step = steps ? (*steps)[i] : 1;
    if (step == 0) return "step 0 on axis " + std::to_string(a);
    out.push_back({a, starts[i], ends[i], step});
  }
  return std::nullopt;
}

/// First index and element count of a sliced axis of extent `dim`: negative start/end count
/// from the end, then clamp to [0, dim] (step > 0) or [-1, dim - 1] (step < 0).
struct SliceRange {
  int64_t start = 0, count = 0;
};
inline SliceRange sliceRange(const SliceAxis& s, int64_t dim) {
  if (dim <= 0) return {0, 0};
  int64_t start = s.start < 0 ? s.start + dim : s.start;
  int64_t end = s.end < 0 ? s.end + dim : s.end;
  int64_t diff;
  uint64_t step;
  if (s.step > 0) {
    start = std::clamp<int64_t>(start, 0, dim);
    end = std::clamp<int64_t>(end, 0, dim);
    diff = end - start;
    step = static_cast<uint64_t>(s.step);
  } else {
    start = std::clamp<int64_t>(start, 0, dim - 1);
    end = std::clamp<int64_t>(end, -1, dim - 1);
    diff = start - end;
    step = 0 - static_cast<uint64_t>(s.step);
  }
  if (diff <= 0) return {start, 0};
  return {start, static_cast<int64_t>(1 + (static_cast<uint64_t>(diff) - 1) / step)};
}

/// Extents of the parts of a Split of an axis of extent `dim` into `n` parts: ceil(dim / n)
/// each, the last one smaller; nullopt when that leaves the last part empty or negative.
inline std::optional<std::vector<int64_t>> equalSplit(int64_t dim, int64_t n) {
  if (n <= 0 || dim < 0) return std::nullopt;
  const int64_t chunk = (dim + n - 1) / n;
  std::vector<int64_t> sizes(static_cast<size_t>(n), chunk);
  sizes.back() = dim - chunk * (n - 1);
  if (sizes.back() < 0 || (sizes.back() == 0 && dim > 0)) return std::nullopt;
  return sizes;
}

}  // namespace kiln
