#include "eval_util.h"

#include <algorithm>
#include <cassert>

namespace kiln::eval {

namespace {
std::string dimsToString(const std::vector<int64_t>& d) { return shapeToString(shapeOf(d)); }
// Largest tensor the reference evaluator will allocate (elements); beyond this a shape is
// treated as a user error instead of an allocation failure.
constexpr int64_t kMaxElements = int64_t{1} << 36;
}  // namespace

const Tensor& KernelCall::input(size_t i) const {
  const Tensor* t = optional(i);
  if (!t) fail("required input #" + std::to_string(i) + " is missing");
  return *t;
}

std::string KernelCall::inputName(size_t i) const {
  const Value* v = node.input(i);
  return v ? "'" + v->name + "'" : "#" + std::to_string(i);
}

void KernelCall::fail(const std::string& message, ErrorCode code) const {
  throw Error(code, node.describe() + ": " + message);
}

void KernelCall::badDtype(size_t in, DType t) const {
  fail("input " + inputName(in) + " has dtype " + dtypeName(t) + ", which " +
           std::string(opName(node.kind)) + " does not support",
       ErrorCode::Unsupported);
}

std::vector<int64_t> stridesOf(const std::vector<int64_t>& dims) {
  std::vector<int64_t> s(dims.size(), 1);
  for (size_t i = dims.size(); i-- > 1;) s[i - 1] = s[i] * dims[i];
  return s;
}

int64_t checkedCount(const KernelCall& c, const std::vector<int64_t>& dims) {
  int64_t n = 1;
  for (int64_t d : dims) {
    if (d < 0) c.fail("negative dimension in shape " + dimsToString(dims));
    if (d != 0 && n > kMaxElements / d)
      c.fail("shape " + dimsToString(dims) + " is too large", ErrorCode::InvalidInput);
    n *= d;
  }
  return n;
}

Tensor makeTensor(const KernelCall& c, DType t, const std::vector<int64_t>& dims) {
  checkedCount(c, dims);
  return Tensor(t, dims);
}

int64_t normalizeAxis(const KernelCall& c, int64_t axis, int64_t rank, const char* what,
                      bool inclusiveEnd) {
  const int64_t a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a > rank || (a == rank && !inclusiveEnd))
    c.fail(std::string(what) + " " + std::to_string(axis) + " is out of range for rank " +
           std::to_string(rank));
  return a;
}

std::vector<int64_t> readInts(const KernelCall& c, size_t i) {
  const Tensor& t = c.input(i);
  if (isFloat(t.dtype) || t.dtype == DType::Bool)
    c.fail("input " + c.inputName(i) + " must be an integer tensor, got " + dtypeName(t.dtype));
  if (t.rank() > 1)
    c.fail("input " + c.inputName(i) + " must be 1-D, got rank " + std::to_string(t.rank()));
  return t.toInts();
}

double readScalar(const KernelCall& c, size_t i) {
  const Tensor& t = c.input(i);
  if (t.size() != 1)
    c.fail("input " + c.inputName(i) + " must be a scalar, got shape " + dimsToString(t.dims));
  return t.getDouble(0);
}

void requireSameDtype(const KernelCall& c, size_t ref, size_t i) {
  const Tensor& a = c.input(ref);
  const Tensor& b = c.input(i);
  if (a.dtype != b.dtype)
    c.fail("input " + c.inputName(i) + " has dtype " + dtypeName(b.dtype) + " but input " +
           c.inputName(ref) + " has " + dtypeName(a.dtype));
}

void requireCount(const KernelCall& c, size_t i, int64_t count, const char* what) {
  const Tensor& t = c.input(i);
  if (t.size() != count)
    c.fail(std::string(what) + " input " + c.inputName(i) + " has shape " +
           dimsToString(t.dims) + ", expected " + std::to_string(count) + " elements");
}

std::vector<int64_t> broadcastShapes(const KernelCall& c, const std::vector<int64_t>& a,
                                     const std::vector<int64_t>& b) {
  const size_t rank = std::max(a.size(), b.size());
  std::vector<int64_t> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    const int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      c.fail("shapes " + dimsToString(a) + " and " + dimsToString(b) +
             " cannot be broadcast together");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

std::vector<int64_t> broadcastStrides(const std::vector<int64_t>& in,
                                      const std::vector<int64_t>& out) {
  assert(in.size() <= out.size());
  std::vector<int64_t> s(out.size(), 0);
  const std::vector<int64_t> own = stridesOf(in);
  const size_t shift = out.size() - in.size();
  for (size_t i = 0; i < in.size(); ++i) s[i + shift] = in[i] == 1 ? 0 : own[i];
  return s;
}

AxisSplit splitAt(const std::vector<int64_t>& dims, int64_t axis) {
  AxisSplit s;
  for (int64_t i = 0; i < static_cast<int64_t>(dims.size()); ++i) {
    if (i < axis) s.outer *= dims[i];
    else if (i == axis) s.axis = dims[i];
    else s.inner *= dims[i];
  }
  return s;
}

}  // namespace kiln::eval
