// Ops that move elements without arithmetic: Transpose, Gather, Concat, Pad. They work on
// any dtype by copying elements of the right byte width.
#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "eval_kernels.h"

namespace kiln::eval {

namespace {

std::string dimsStr(const std::vector<int64_t>& d) { return shapeToString(shapeOf(d)); }

// Calls f(E{}) with E an unsigned integer type as wide as one element of `t`.
template <typename F> void withElementWidth(DType t, F&& f) {
  switch (dtypeSize(t)) {
    case 1: f(uint8_t{}); break;
    case 4: f(uint32_t{}); break;
    default: assert(dtypeSize(t) == 8); f(uint64_t{}); break;
  }
}

// For one output axis of Pad: the source index along the input axis, or -1 for the constant.
std::vector<int64_t> padAxisMap(const KernelCall& c, int64_t dim, int64_t begin, int64_t end,
                                PadMode mode) {
  // Negative pads crop first; the positive ones then pad the cropped extent.
  const int64_t lo = std::max<int64_t>(0, -begin);
  const int64_t kept = dim - lo - std::max<int64_t>(0, -end);
  const int64_t pb = std::max<int64_t>(0, begin), pe = std::max<int64_t>(0, end);
  if (kept < 0) c.fail("pads crop more than the extent " + std::to_string(dim), ErrorCode::InvalidInput);
  if (kept == 0 && (pb || pe) && mode != PadMode::Constant)
    c.fail("cannot pad an empty axis in reflect/edge/wrap mode", ErrorCode::InvalidInput);
  std::vector<int64_t> map(static_cast<size_t>(kept + pb + pe));
  for (int64_t o = 0; o < static_cast<int64_t>(map.size()); ++o) {
    int64_t i = o - pb;
    if (i < 0 || i >= kept) {
      switch (mode) {
        case PadMode::Constant: i = -1 - lo; break;
        case PadMode::Edge: i = std::clamp<int64_t>(i, 0, kept - 1); break;
        case PadMode::Wrap: i = ((i % kept) + kept) % kept; break;
        case PadMode::Reflect: {  // mirror without repeating the edge, period 2*(kept-1)
          const int64_t period = 2 * (kept - 1);
          if (period == 0) { i = 0; break; }
          i = ((i % period) + period) % period;
          if (i >= kept) i = period - i;
          break;
        }
      }
    }
    map[o] = i + lo;
  }
  return map;
}

}  // namespace

Outputs evalTranspose(const KernelCall& c) {
  const Tensor& X = c.input(0);
  const int64_t r = X.rank();
  std::vector<int64_t> perm = c.node.as<TransposeAttrs>().perm;
  if (perm.empty())
    for (int64_t i = r; i-- > 0;) perm.push_back(i);
  std::vector<bool> seen(r, false);
  if (static_cast<int64_t>(perm.size()) != r) c.fail("perm " + dimsStr(perm) + " does not match rank " + std::to_string(r));
  for (int64_t p : perm) {
    if (p < 0 || p >= r || seen[p]) c.fail("perm " + dimsStr(perm) + " is not a permutation");
    seen[p] = true;
  }
  const std::vector<int64_t> inStrides = stridesOf(X.dims);
  std::vector<int64_t> outDims(r), strides(r);
  for (int64_t i = 0; i < r; ++i) outDims[i] = X.dims[perm[i]], strides[i] = inStrides[perm[i]];
  Tensor Y(X.dtype, outDims);
  withElementWidth(X.dtype, [&](auto tag) {
    using E = decltype(tag);
    const E* x = reinterpret_cast<const E*>(X.bytes.data());
    E* y = reinterpret_cast<E*>(Y.bytes.data());
    forEachBroadcast<1>(outDims, {strides},
                        [&](int64_t o, const std::array<int64_t, 1>& off) { y[o] = x[off[0]]; });
  });
  return {std::move(Y)};
}

// out = data[:axis] + indices.shape + data[axis+1:]; negative indices count from the end.
Outputs evalGather(const KernelCall& c) {
  const Tensor& X = c.input(0);
  const Tensor& I = c.input(1);
  if (isFloat(I.dtype) || I.dtype == DType::Bool)
    c.fail("indices " + c.inputName(1) + " must be int32 or int64, got " + dtypeName(I.dtype));
  if (X.rank() == 0) c.fail("cannot gather from a scalar");
  const int64_t axis = normalizeAxis(c, c.node.as<AxisAttrs>().axis, X.rank(), "axis");
  const AxisSplit s = splitAt(X.dims, axis);
  std::vector<int64_t> outDims(X.dims.begin(), X.dims.begin() + axis);
  outDims.insert(outDims.end(), I.dims.begin(), I.dims.end());
  outDims.insert(outDims.end(), X.dims.begin() + axis + 1, X.dims.end());
  Tensor Y = makeTensor(c, X.dtype, outDims);

  std::vector<int64_t> idx = I.toInts();
  for (int64_t& i : idx) {
    if (i < -s.axis || i >= s.axis)
      c.fail("index " + std::to_string(i) + " is out of range for axis " + std::to_string(axis) +
                 " of extent " + std::to_string(s.axis) + " (data " + dimsStr(X.dims) + ")",
             ErrorCode::InvalidInput);
    if (i < 0) i += s.axis;
  }
  const size_t block = static_cast<size_t>(s.inner) * dtypeSize(X.dtype);
  uint8_t* y = Y.bytes.data();
  for (int64_t o = 0; o < s.outer; ++o)
    for (int64_t i : idx) {
      if (block) std::memcpy(y, X.bytes.data() + (o * s.axis + i) * block, block);
      y += block;
    }
  return {std::move(Y)};
}

Outputs evalConcat(const KernelCall& c) {
  const Tensor& first = c.input(0);
  const int64_t r = first.rank();
  if (r == 0) c.fail("cannot concatenate scalars");
  const int64_t axis = normalizeAxis(c, c.node.as<AxisAttrs>().axis, r, "axis");
  std::vector<int64_t> outDims = first.dims;
  outDims[axis] = 0;
  for (size_t k = 0; k < c.inputs.size(); ++k) {
    const Tensor& t = c.input(k);
    requireSameDtype(c, 0, k);
    bool ok = t.rank() == r;
    for (int64_t i = 0; ok && i < r; ++i) ok = i == axis || t.dims[i] == first.dims[i];
    if (!ok)
      c.fail("input " + c.inputName(k) + " of shape " + dimsStr(t.dims) +
             " does not match input " + c.inputName(0) + " of shape " + dimsStr(first.dims) +
             " outside axis " + std::to_string(axis));
    outDims[axis] += t.dims[axis];
  }
  Tensor Y = makeTensor(c, first.dtype, outDims);
  const AxisSplit s = splitAt(outDims, axis);
  const size_t esize = dtypeSize(first.dtype);
  uint8_t* y = Y.bytes.data();
  for (int64_t o = 0; o < s.outer; ++o)
    for (size_t k = 0; k < c.inputs.size(); ++k) {
      const Tensor& t = c.input(k);
      const size_t block = static_cast<size_t>(t.dims[axis] * s.inner) * esize;
      if (block) std::memcpy(y, t.bytes.data() + o * block, block);
      y += block;
    }
  return {std::move(Y)};
}

// Pad: inputs data, pads [begins..., ends...] over `axes` (all axes by default),
// constant_value (default 0), axes.
Outputs evalPad(const KernelCall& c) {
  const Tensor& X = c.input(0);
  const PadMode mode = c.node.as<PadAttrs>().mode;
  const int64_t r = X.rank();
  const std::vector<int64_t> pads = readInts(c, 1);
  std::vector<int64_t> axes;
  if (c.optional(3)) {
    for (int64_t a : readInts(c, 3)) axes.push_back(normalizeAxis(c, a, r, "axis"));
  } else {
    for (int64_t i = 0; i < r; ++i) axes.push_back(i);
  }
  const size_t na = axes.size();
  if (pads.size() != 2 * na)
    c.fail("pads " + dimsStr(pads) + " must have 2 values per padded axis (" +
           std::to_string(na) + " axes)");
  std::vector<int64_t> begin(r, 0), end(r, 0);
  for (size_t i = 0; i < na; ++i) begin[axes[i]] = pads[i], end[axes[i]] = pads[na + i];

  std::vector<int64_t> outDims(r);
  for (int64_t i = 0; i < r; ++i) {
    if (std::abs(begin[i]) > (int64_t{1} << 40) || std::abs(end[i]) > (int64_t{1} << 40))
      c.fail("pads " + dimsStr(pads) + " are too large", ErrorCode::InvalidInput);
    outDims[i] = X.dims[i] + begin[i] + end[i];
    if (outDims[i] < 0)
      c.fail("pads " + dimsStr(pads) + " crop more than axis " + std::to_string(i) + " of input " +
                 dimsStr(X.dims) + " holds",
             ErrorCode::InvalidInput);
  }
  Tensor Y = makeTensor(c, X.dtype, outDims);  // size-checked before the index maps
  std::vector<std::vector<int64_t>> maps(r);
  for (int64_t i = 0; i < r; ++i) maps[i] = padAxisMap(c, X.dims[i], begin[i], end[i], mode);

  // The fill value as one element of X's dtype.
  Tensor fill(X.dtype, {});
  if (const Tensor* v = c.optional(2); v && v->size() > 0) {
    requireSameDtype(c, 0, 2);
    if (v->size() != 1) c.fail("constant_value must be a scalar, got " + dimsStr(v->dims));
    fill = *v;
  }
  const std::vector<int64_t> inStrides = stridesOf(X.dims);
  withElementWidth(X.dtype, [&](auto tag) {
    using E = decltype(tag);
    const E* x = reinterpret_cast<const E*>(X.bytes.data());
    E* y = reinterpret_cast<E*>(Y.bytes.data());
    const E fv = *reinterpret_cast<const E*>(fill.bytes.data());
    const int64_t total = Y.size();
    std::vector<int64_t> idx(r, 0);
    for (int64_t o = 0; o < total; ++o) {
      int64_t off = 0;
      bool constant = false;
      for (int64_t i = 0; i < r && !constant; ++i) {
        const int64_t src = maps[i][idx[i]];
        constant = src < 0;
        off += src * inStrides[i];
      }
      y[o] = constant ? fv : x[off];
      for (int64_t i = r; i-- > 0;) {
        if (++idx[i] < outDims[i]) break;
        idx[i] = 0;
      }
    }
  });
  return {std::move(Y)};
}

}  // namespace kiln::eval
