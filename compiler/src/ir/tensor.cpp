#include "kiln/ir/tensor.h"

#include <cmath>

#include "kiln/support/error.h"

namespace kiln {

size_t dtypeSize(DType t) {
  switch (t) {
    case DType::F32: return 4;
    case DType::F64: return 8;
    case DType::I64: return 8;
    case DType::I32: return 4;
    case DType::I8: return 1;
    case DType::U8: return 1;
    case DType::Bool: return 1;
  }
  return 0;
}

const char* dtypeName(DType t) {
  switch (t) {
    case DType::F32: return "float32";
    case DType::F64: return "float64";
    case DType::I64: return "int64";
    case DType::I32: return "int32";
    case DType::I8: return "int8";
    case DType::U8: return "uint8";
    case DType::Bool: return "bool";
  }
  return "?";
}

std::string shapeToString(const Shape& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) {
    if (i) out += ",";
    if (s[i].isKnown()) out += std::to_string(s[i].value);
    else out += s[i].symbol.empty() ? "?" : s[i].symbol;
  }
  return out + "]";
}

Shape shapeOf(const std::vector<int64_t>& dims) {
  Shape s;
  for (int64_t d : dims) s.push_back(Dim::known(d));
  return s;
}

bool isStatic(const Shape& s) {
  for (const Dim& d : s)
    if (!d.isKnown()) return false;
  return true;
}

int64_t numElements(const std::vector<int64_t>& dims) {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

template <typename F>
static auto visitElement(const Tensor& t, int64_t i, F f) {
  switch (t.dtype) {
    case DType::F32: return f(t.data<float>()[i]);
    case DType::F64: return f(t.data<double>()[i]);
    case DType::I64: return f(t.data<int64_t>()[i]);
    case DType::I32: return f(t.data<int32_t>()[i]);
    case DType::I8: return f(t.data<int8_t>()[i]);
    case DType::U8: return f(t.data<uint8_t>()[i]);
    case DType::Bool: return f(t.data<uint8_t>()[i]);
  }
  throw Error(ErrorCode::Internal, "bad dtype");
}

double Tensor::getDouble(int64_t i) const {
  return visitElement(*this, i, [](auto v) { return static_cast<double>(v); });
}

int64_t Tensor::getInt(int64_t i) const {
  return visitElement(*this, i, [](auto v) { return static_cast<int64_t>(v); });
}

std::vector<double> Tensor::toDoubles() const {
  std::vector<double> out(static_cast<size_t>(size()));
  for (int64_t i = 0; i < size(); ++i) out[i] = getDouble(i);
  return out;
}

std::vector<int64_t> Tensor::toInts() const {
  std::vector<int64_t> out(static_cast<size_t>(size()));
  for (int64_t i = 0; i < size(); ++i) out[i] = getInt(i);
  return out;
}

static void setFromDouble(Tensor& t, int64_t i, double v) {
  switch (t.dtype) {
    case DType::F32: t.data<float>()[i] = static_cast<float>(v); break;
    case DType::F64: t.data<double>()[i] = v; break;
    case DType::I64: t.data<int64_t>()[i] = static_cast<int64_t>(v); break;
    case DType::I32: t.data<int32_t>()[i] = static_cast<int32_t>(v); break;
    case DType::I8: t.data<int8_t>()[i] = static_cast<int8_t>(v); break;
    case DType::U8: t.data<uint8_t>()[i] = static_cast<uint8_t>(v); break;
    case DType::Bool: t.data<uint8_t>()[i] = v != 0.0 ? 1 : 0; break;
  }
}

Tensor Tensor::fromFloats(const std::vector<float>& v, std::vector<int64_t> dims) {
  Tensor t(DType::F32, std::move(dims));
  assert(static_cast<int64_t>(v.size()) == t.size());
  if (!v.empty()) std::memcpy(t.bytes.data(), v.data(), t.bytes.size());
  return t;
}

Tensor Tensor::fromDoubles(const std::vector<double>& v, std::vector<int64_t> dims, DType as) {
  Tensor t(as, std::move(dims));
  assert(static_cast<int64_t>(v.size()) == t.size());
  for (int64_t i = 0; i < t.size(); ++i) setFromDouble(t, i, v[i]);
  return t;
}

Tensor Tensor::fromInts(const std::vector<int64_t>& v, std::vector<int64_t> dims, DType as) {
  Tensor t(as, std::move(dims));
  assert(static_cast<int64_t>(v.size()) == t.size());
  for (int64_t i = 0; i < t.size(); ++i) {
    if (as == DType::I64) t.data<int64_t>()[i] = v[i];
    else setFromDouble(t, i, static_cast<double>(v[i]));
  }
  return t;
}

Tensor Tensor::castTo(DType to) const {
  if (to == dtype) return *this;
  Tensor out(to, dims);
  bool intToInt = !isFloat(dtype) && !isFloat(to);
  for (int64_t i = 0; i < size(); ++i) {
    if (intToInt && to == DType::I64) out.data<int64_t>()[i] = getInt(i);
    else setFromDouble(out, i, getDouble(i));
  }
  return out;
}

}  // namespace kiln
