#include "lower_window.h"

#include "kiln/ir/window.h"

namespace kiln::plan {

std::vector<WindowAxis> windowAxes(LowerCtx& c, const std::vector<int64_t>& kernel,
                                   std::vector<int64_t> strides, std::vector<int64_t> pads,
                                   std::vector<int64_t> dilations, bool ceilMode,
                                   bool transposed) {
  const size_t r = c.rank(0) - 2;
  if (kernel.size() != r) c.unsupported("kernel_shape does not match the input rank");
  if (strides.empty()) strides.assign(r, 1);
  if (dilations.empty()) dilations.assign(r, 1);
  if (pads.empty()) pads.assign(2 * r, 0);
  std::vector<WindowAxis> axes(r);
  for (size_t i = 0; i < r; ++i) {
    WindowAxis& a = axes[i];
    a.in = c.staticDim(0, 2 + i);
    a.kernel = kernel[i];
    a.stride = strides[i];
    a.dilation = dilations[i];
    a.padBegin = pads[i];
    a.padEnd = pads[r + i];
    if (transposed) continue;
    const std::optional<int64_t> out = windowOutputExtent(a.in, a.padBegin, a.padEnd, a.kernel,
                                                          a.stride, a.dilation, ceilMode);
    if (!out) c.unsupported("input is smaller than the kernel");
    a.out = *out;
  }
  return axes;
}

Expr windowInput(const WindowAxis& a, Expr o, Expr k) {
  return add(sub(mul(o, constI(a.stride)), constI(a.padBegin)), mul(k, constI(a.dilation)));
}

std::vector<Poly> windowOutputShape(LowerCtx& c, const Poly& channels,
                                    const std::vector<WindowAxis>& axes) {
  std::vector<Poly> s{c.shape(0)[0], channels};
  for (const WindowAxis& a : axes) s.emplace_back(a.out);
  return s;
}

}  // namespace kiln::plan
