// Expand, Tile, ConstantOfShape, Slice and Split: outputs whose elements are copies of input
// elements at a computed position (or one constant), for every dtype.
#include <cstring>

#include "eval_kernels.h"
#include "kiln/ir/slice_plan.h"

namespace kiln::eval {

namespace {

// A tensor of `dims` whose element at multi-index o is x's element at flat offset src(o).
template <typename Src>
Tensor gatherElements(const KernelCall& c, const Tensor& x, const std::vector<int64_t>& dims, Src src) {
  Tensor y = makeTensor(c, x.dtype, dims);
  const size_t es = dtypeSize(x.dtype);
  const int64_t n = y.size();
  std::vector<int64_t> idx(dims.size(), 0);
  for (int64_t o = 0; o < n; ++o) {
    std::memcpy(y.bytes.data() + o * es, x.bytes.data() + src(idx) * es, es);
    for (size_t d = dims.size(); d-- > 0;) {
      if (++idx[d] < dims[d]) break;
      idx[d] = 0;
    }
  }
  return y;
}

// Reads an optional 1-D integer input (nullopt when absent).
std::optional<std::vector<int64_t>> optInts(const KernelCall& c, size_t i) {
  if (!c.optional(i)) return std::nullopt;
  return readInts(c, i);
}

}  // namespace

Outputs evalExpand(const KernelCall& c) {
  const Tensor& x = c.input(0);
  const std::vector<int64_t> target = readInts(c, 1);
  for (int64_t d : target)
    if (d < 0) c.fail("shape input " + c.inputName(1) + " has negative entry " + std::to_string(d));
  const std::vector<int64_t> out = broadcastShapes(c, x.dims, target);
  const std::vector<int64_t> strides = broadcastStrides(x.dims, out);
  return {gatherElements(c, x, out, [&](const std::vector<int64_t>& o) {
    int64_t off = 0;
    for (size_t d = 0; d < o.size(); ++d) off += o[d] * strides[d];
    return off;
  })};
}

Outputs evalTile(const KernelCall& c) {
  const Tensor& x = c.input(0);
  const std::vector<int64_t> reps = readInts(c, 1);
  if (static_cast<int64_t>(reps.size()) != x.rank())
    c.fail("repeats input " + c.inputName(1) + " has " + std::to_string(reps.size()) + " entries for rank " +
           std::to_string(x.rank()));
  std::vector<int64_t> out(x.dims);
  for (size_t d = 0; d < out.size(); ++d) {
    if (reps[d] < 0) c.fail("repeats input " + c.inputName(1) + " has negative entry " + std::to_string(reps[d]));
    out[d] *= reps[d];
  }
  checkedCount(c, out);
  const std::vector<int64_t> strides = stridesOf(x.dims);
  return {gatherElements(c, x, out, [&](const std::vector<int64_t>& o) {
    int64_t off = 0;
    for (size_t d = 0; d < o.size(); ++d) off += (o[d] % x.dims[d]) * strides[d];
    return off;
  })};
}

Outputs evalConstantOfShape(const KernelCall& c) {
  const ConstantOfShapeAttrs& a = c.node.as<ConstantOfShapeAttrs>();
  const std::vector<int64_t> dims = readInts(c, 0);
  for (int64_t d : dims)
    if (d < 0) c.fail("shape input " + c.inputName(0) + " has negative entry " + std::to_string(d));
  // In F64 mode floats travel as double.
  const DType t = c.precision == Precision::F64 && a.dtype == DType::F32 ? DType::F64 : a.dtype;
  Tensor y = makeTensor(c, t, dims);
  return visitAny(c, 0, t, [&](auto tag) {
    using T = decltype(tag);
    const T v = isFloat(t) ? static_cast<T>(a.value) : static_cast<T>(a.intValue);
    for (T& e : y.data<T>()) e = v;
    return Outputs{std::move(y)};
  });
}

Outputs evalSlice(const KernelCall& c) {
  const Tensor& x = c.input(0);
  const auto axesIn = optInts(c, 3), stepsIn = optInts(c, 4);
  std::vector<SliceAxis> axes;
  if (auto err = planSlice(readInts(c, 1), readInts(c, 2), axesIn ? &*axesIn : nullptr, stepsIn ? &*stepsIn : nullptr,
                           x.rank(), axes))
    c.fail(*err);
  std::vector<int64_t> out = x.dims, start(x.dims.size(), 0), step(x.dims.size(), 1);
  for (const SliceAxis& a : axes) {
    const SliceRange r = sliceRange(a, x.dims[a.axis]);
    out[a.axis] = r.count, start[a.axis] = r.start, step[a.axis] = a.step;
  }
  const std::vector<int64_t> strides = stridesOf(x.dims);
  return {gatherElements(c, x, out, [&](const std::vector<int64_t>& o) {
    int64_t off = 0;
    for (size_t d = 0; d < o.size(); ++d) off += (start[d] + o[d] * step[d]) * strides[d];
    return off;
  })};
}

Outputs evalSplit(const KernelCall& c) {
  const SplitAttrs& a = c.node.as<SplitAttrs>();
  const Tensor& x = c.input(0);
  const int64_t axis = normalizeAxis(c, a.axis, x.rank(), "axis");
  const int64_t dim = x.dims[axis];
  const size_t outs = c.node.outputs.size();
  std::vector<int64_t> sizes;
  if (c.optional(1)) {
    sizes = readInts(c, 1);
    int64_t total = 0;
    for (int64_t s : sizes) {
      if (s < 0) c.fail("split input " + c.inputName(1) + " has negative entry " + std::to_string(s));
      total += s;
    }
    if (total != dim || sizes.size() != outs)
      c.fail("split input " + c.inputName(1) + " does not cut axis " + std::to_string(axis) + " (extent " +
             std::to_string(dim) + ") into " + std::to_string(outs) + " parts");
  } else {
    auto eq = equalSplit(dim, a.numOutputs);
    if (!eq || eq->size() != outs)
      c.fail("cannot split axis " + std::to_string(axis) + " (extent " + std::to_string(dim) + ") into " +
             std::to_string(outs) + " parts");
    sizes = *eq;
  }
  const std::vector<int64_t> strides = stridesOf(x.dims);
  Outputs ys;
  int64_t offset = 0;
  for (int64_t s : sizes) {
    std::vector<int64_t> dims = x.dims;
    dims[axis] = s;
    ys.push_back(gatherElements(c, x, dims, [&](const std::vector<int64_t>& o) {
      int64_t off = offset * strides[axis];
      for (size_t d = 0; d < o.size(); ++d) off += o[d] * strides[d];
      return off;
    }));
    offset += s;
  }
  return ys;
}

}  // namespace kiln::eval
