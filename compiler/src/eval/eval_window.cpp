#include "eval_window.h"

#include <algorithm>
#include <tuple>

#include "kiln/ir/window.h"

namespace kiln::eval {

namespace {

int64_t product(const std::vector<int64_t>& v) {
  int64_t n = 1;
  for (int64_t x : v) n *= x;
  return n;
}

std::string listStr(const std::vector<int64_t>& v) { return shapeToString(shapeOf(v)); }

void checkLength(const KernelCall& c, const std::vector<int64_t>& v, size_t want,
                 const char* what) {
  if (v.size() != want)
    c.fail(std::string(what) + " " + listStr(v) + " has " + std::to_string(v.size()) +
           " values, expected " + std::to_string(want));
}

// Offsets k in [0, kernel) with lo <= start + k*d < hi, as a half-open range.
std::pair<int64_t, int64_t> kernelRange(int64_t start, int64_t d, int64_t kernel, int64_t lo,
                                        int64_t hi) {
  auto ceilDiv = [](int64_t a, int64_t b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); };
  const int64_t first = std::clamp<int64_t>(ceilDiv(lo - start, d), 0, kernel);
  const int64_t last = std::clamp<int64_t>(ceilDiv(hi - start, d), 0, kernel);
  return {first, std::max(first, last)};
}

}  // namespace

int64_t Window::outCount() const { return product(out); }
int64_t Window::inCount() const { return product(in); }
int64_t Window::kernelCount() const { return product(kernel); }

void normalizeWindowAttrs(const KernelCall& c, size_t rank, WindowAttrs& a) {
  if (a.strides.empty()) a.strides.assign(rank, 1);
  if (a.dilations.empty()) a.dilations.assign(rank, 1);
  if (a.pads.empty()) a.pads.assign(2 * rank, 0);
  checkLength(c, a.kernel, rank, "kernel_shape");
  checkLength(c, a.strides, rank, "strides");
  checkLength(c, a.dilations, rank, "dilations");
  checkLength(c, a.pads, 2 * rank, "pads");
  // Bounds that keep every later computation far from int64 overflow.
  constexpr int64_t kLimit = int64_t{1} << 31;
  int64_t kernelCount = 1;
  for (const auto* v : {&a.kernel, &a.strides, &a.dilations, &a.pads})
    for (int64_t x : *v)
      if (x > kLimit || x < -kLimit) c.fail("window attribute value " + std::to_string(x) + " is too large");
  for (size_t i = 0; i < rank; ++i) {
    if (a.kernel[i] >= 1 && (kernelCount *= a.kernel[i]) > kLimit)
      c.fail("kernel_shape " + listStr(a.kernel) + " is too large");
    if (a.kernel[i] < 1) c.fail("kernel_shape " + listStr(a.kernel) + " must be positive");
    if (a.strides[i] < 1) c.fail("strides " + listStr(a.strides) + " must be positive");
    if (a.dilations[i] < 1) c.fail("dilations " + listStr(a.dilations) + " must be positive");
  }
}

Window resolveWindow(const KernelCall& c, const std::vector<int64_t>& inSpatial,
                     const WindowAttrs& attrs) {
  WindowAttrs a = attrs;
  const size_t rank = inSpatial.size();
  normalizeWindowAttrs(c, rank, a);
  Window w;
  w.in = inSpatial;
  w.kernel = a.kernel;
  w.strides = a.strides;
  w.dilations = a.dilations;
  w.padBegin.assign(a.pads.begin(), a.pads.begin() + rank);
  w.padEnd.assign(a.pads.begin() + rank, a.pads.end());
  w.out.resize(rank);
  for (size_t i = 0; i < rank; ++i) {
    const int64_t s = a.strides[i];
    if (a.autoPad == AutoPad::SameUpper || a.autoPad == AutoPad::SameLower) {
      // out = ceil(in / stride); samePads splits the padding that needs.
      w.out[i] = (inSpatial[i] + s - 1) / s;
      std::tie(w.padBegin[i], w.padEnd[i]) = samePads(inSpatial[i], a.kernel[i], s,
                                                      a.dilations[i], a.autoPad == AutoPad::SameUpper);
      continue;
    }
    if (a.autoPad == AutoPad::Valid) w.padBegin[i] = w.padEnd[i] = 0;
    if (w.padBegin[i] < 0 || w.padEnd[i] < 0) c.fail("pads " + listStr(a.pads) + " must be >= 0");
    const std::optional<int64_t> out = windowOutputExtent(
        inSpatial[i], w.padBegin[i], w.padEnd[i], a.kernel[i], s, a.dilations[i], a.ceilMode);
    if (!out)
      c.fail("input spatial shape " + listStr(inSpatial) + " (with pads " + listStr(a.pads) +
             ") is smaller than the dilated kernel " + listStr(a.kernel));
    w.out[i] = *out;
  }
  return w;
}

void windowTaps(const Window& w, int64_t outFlat, std::vector<Tap>& taps,
                int64_t* paddedCount) {
  const size_t rank = w.rank();
  // Per axis: the kernel offsets whose input position is in range, and their positions.
  thread_local std::vector<std::vector<std::pair<int64_t, int64_t>>> valid;
  valid.resize(rank);
  int64_t padded = 1;
  for (size_t i = rank; i-- > 0;) {
    const int64_t o = outFlat % w.out[i];
    outFlat /= w.out[i];
    const int64_t start = o * w.strides[i] - w.padBegin[i];
    // Kernel offsets k with start + k*d inside [0, in), and inside the padded range; found
    // arithmetically so the work is bounded by the input, not by the kernel attribute.
    const auto [k0, k1] = kernelRange(start, w.dilations[i], w.kernel[i], 0, w.in[i]);
    valid[i].clear();
    for (int64_t k = k0; k < k1; ++k) valid[i].push_back({k, start + k * w.dilations[i]});
    const auto [p0, p1] = kernelRange(start, w.dilations[i], w.kernel[i], -w.padBegin[i],
                                      w.in[i] + w.padEnd[i]);
    const int64_t inPad = p1 - p0;
    padded *= inPad;
  }
  if (paddedCount) *paddedCount = padded;

  taps.clear();
  for (size_t i = 0; i < rank; ++i)
    if (valid[i].empty()) return;
  // Cartesian product of the per-axis lists, last axis fastest.
  std::vector<size_t> idx(rank, 0);
  while (true) {
    int64_t k = 0, p = 0;
    for (size_t i = 0; i < rank; ++i) {
      k = k * w.kernel[i] + valid[i][idx[i]].first;
      p = p * w.in[i] + valid[i][idx[i]].second;
    }
    taps.push_back({k, p});
    size_t a = rank;
    while (a > 0 && ++idx[a - 1] == valid[a - 1].size()) idx[--a] = 0;
    if (a == 0) return;
  }
}

}  // namespace kiln::eval
