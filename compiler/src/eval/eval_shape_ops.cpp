// Ops that only change the shape (or pass data through): Flatten, Reshape, Identity,
// Dropout, Shape, Unsqueeze, Squeeze.
#include <algorithm>
#include <cassert>

#include "eval_kernels.h"

namespace kiln::eval {

namespace {

std::string dimsStr(const std::vector<int64_t>& d) { return shapeToString(shapeOf(d)); }

// Input 0's data with new dims (same element count, checked by the caller).
Outputs reshaped(const KernelCall& c, std::vector<int64_t> dims) {
  Tensor y = c.input(0);
  assert(numElements(dims) == y.size());
  y.dims = std::move(dims);
  return {std::move(y)};
}

// Mask of the (possibly negative) `axes` in a tensor of `rank`; duplicates are an error.
std::vector<bool> axisMask(const KernelCall& c, const std::vector<int64_t>& axes, int64_t rank) {
  std::vector<bool> mask(rank, false);
  for (int64_t a : axes) {
    const int64_t n = normalizeAxis(c, a, rank, "axis");
    if (mask[n]) c.fail("axis " + std::to_string(a) + " is listed twice");
    mask[n] = true;
  }
  return mask;
}

}  // namespace

Outputs evalFlatten(const KernelCall& c) {
  const Tensor& X = c.input(0);
  const int64_t axis = normalizeAxis(c, c.node.as<AxisAttrs>().axis, X.rank(), "axis", true);
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < X.rank(); ++i) (i < axis ? outer : inner) *= X.dims[i];
  return reshaped(c, {outer, inner});
}

// Reshape: 0 copies the input dim (unless allowzero), one -1 is inferred.
Outputs evalReshape(const KernelCall& c) {
  const Tensor& X = c.input(0);
  const bool allowZero = c.node.as<ReshapeAttrs>().allowZero;
  std::vector<int64_t> dims = readInts(c, 1);
  int64_t inferred = -1;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] == -1) {
      if (inferred >= 0) c.fail("shape " + dimsStr(dims) + " has more than one -1", ErrorCode::InvalidInput);
      inferred = static_cast<int64_t>(i);
    } else if (dims[i] == 0 && !allowZero) {
      if (static_cast<int64_t>(i) >= X.rank())
        c.fail("shape " + dimsStr(dims) + " copies dim " + std::to_string(i) +
                   " (0) but the input " + dimsStr(X.dims) + " has no such dim",
               ErrorCode::InvalidInput);
      dims[i] = X.dims[i];
    } else if (dims[i] < 0) {
      c.fail("shape " + dimsStr(dims) + " has a negative dim", ErrorCode::InvalidInput);
    }
  }
  const std::string what = "cannot reshape input " + dimsStr(X.dims) + " (" +
                           std::to_string(X.size()) + " elements) to " +
                           dimsStr(readInts(c, 1));
  if (inferred >= 0) {
    dims[inferred] = 1;
    const int64_t rest = checkedCount(c, dims);
    if (rest == 0 || X.size() % rest != 0) c.fail(what, ErrorCode::InvalidInput);
    dims[inferred] = X.size() / rest;
  }
  if (checkedCount(c, dims) != X.size()) c.fail(what, ErrorCode::InvalidInput);
  return reshaped(c, dims);
}

Outputs evalIdentity(const KernelCall& c) { return {c.input(0)}; }

// Inference: identity, mask all true. Training mode with a non-zero ratio is random and not
// reproducible here: Unsupported.
Outputs evalDropout(const KernelCall& c) {
  const Tensor& X = c.input(0);
  const bool training = c.optional(2) && readScalar(c, 2) != 0.0;
  const double ratio = c.optional(1) ? readScalar(c, 1) : 0.5;
  if (training && ratio != 0.0)
    c.fail("training-mode dropout (ratio " + std::to_string(ratio) + ") is random; not supported",
           ErrorCode::Unsupported);
  Outputs out{X};
  if (c.wantsOutput(1)) {
    Tensor mask(DType::Bool, X.dims);
    std::fill(mask.bytes.begin(), mask.bytes.end(), uint8_t{1});
    out.push_back(std::move(mask));
  }
  return out;
}

// Shape[start:end] with both ends clamped into [0, rank].
Outputs evalShape(const KernelCall& c) {
  const ShapeAttrs& at = c.node.as<ShapeAttrs>();
  const int64_t r = c.input(0).rank();
  auto clampEnd = [r](int64_t v) { return std::clamp<int64_t>(v < 0 ? v + r : v, 0, r); };
  const int64_t start = clampEnd(at.start), end = clampEnd(at.end.value_or(r));
  const auto& d = c.input(0).dims;
  std::vector<int64_t> v = start < end ? std::vector<int64_t>(d.begin() + start, d.begin() + end)
                                       : std::vector<int64_t>{};
  const int64_t n = static_cast<int64_t>(v.size());
  return {Tensor::fromInts(v, {n})};
}

Outputs evalUnsqueeze(const KernelCall& c) {
  const Tensor& X = c.input(0);
  const std::vector<int64_t> axes = readInts(c, 1);
  const int64_t outRank = X.rank() + static_cast<int64_t>(axes.size());
  const std::vector<bool> inserted = axisMask(c, axes, outRank);
  std::vector<int64_t> dims;
  size_t next = 0;
  for (int64_t i = 0; i < outRank; ++i) dims.push_back(inserted[i] ? 1 : X.dims[next++]);
  return reshaped(c, dims);
}

// Without axes every dim of extent 1 is removed; listed axes must have extent 1.
Outputs evalSqueeze(const KernelCall& c) {
  const Tensor& X = c.input(0);
  const std::vector<int64_t> axes = c.optional(1) ? readInts(c, 1) : std::vector<int64_t>{};
  std::vector<bool> drop = axisMask(c, axes, X.rank());
  std::vector<int64_t> dims;
  for (int64_t i = 0; i < X.rank(); ++i) {
    if (axes.empty()) drop[i] = X.dims[i] == 1;
    else if (drop[i] && X.dims[i] != 1)
      c.fail("cannot squeeze axis " + std::to_string(i) + " of extent " +
             std::to_string(X.dims[i]) + " (input " + dimsStr(X.dims) + ")");
    if (!drop[i]) dims.push_back(X.dims[i]);
  }
  return reshaped(c, dims);
}

}  // namespace kiln::eval
