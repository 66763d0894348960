#include "code_writer.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

namespace kiln::cuda {

const char* elementCType(DType t) {
  switch (t) {
    case DType::F32: return "float";
    case DType::F64: return "double";
    case DType::I64: return "long long";
    case DType::I32: return "int";
    case DType::I8: return "signed char";
    case DType::U8:
    case DType::Bool: return "unsigned char";
  }
  return "unsigned char";
}

std::string floatLiteral(double v) {
  // The plan's F32 constants are floats: round once here, as the CPU backend does.
  const float f = static_cast<float>(v);
  if (!std::isfinite(f)) {
    uint32_t bits;
    std::memcpy(&bits, &f, sizeof bits);
    char buf[48];
    std::snprintf(buf, sizeof buf, "__int_as_float(0x%08x)", bits);
    return buf;
  }
  char buf[48];
  if (f == std::trunc(f) && std::fabs(f) < 16777216.0f) std::snprintf(buf, sizeof buf, "%.1ff", static_cast<double>(f));
  else std::snprintf(buf, sizeof buf, "%af", static_cast<double>(f));  // hex: exact
  return f < 0 || std::signbit(f) ? "(" + std::string(buf) + ")" : std::string(buf);
}

std::string doubleLiteral(double v) {
  char buf[64];
  if (!std::isfinite(v)) {
    uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    std::snprintf(buf, sizeof buf, "__longlong_as_double(0x%016llxLL)", static_cast<unsigned long long>(bits));
    return buf;
  }
  if (v == std::trunc(v) && std::fabs(v) < 9007199254740992.0) std::snprintf(buf, sizeof buf, "%.1f", v);
  else std::snprintf(buf, sizeof buf, "%a", v);  // hex: exact
  return v < 0 || std::signbit(v) ? "(" + std::string(buf) + ")" : std::string(buf);
}

std::string floatLiteral(double v, EType t) { return t == EType::F64 ? doubleLiteral(v) : floatLiteral(v); }

std::string intLiteral(int64_t v) {
  if (v == std::numeric_limits<int64_t>::min()) return "(-9223372036854775807LL - 1LL)";
  if (v < 0) return "(" + std::to_string(v) + "LL)";
  return std::to_string(v) + "LL";
}

std::string commentSafe(std::string s) {
  for (char& c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == '\\') c = '_';
  return s;
}

std::string identifier(const std::string& s, size_t max) {
  std::string out;
  for (char c : s) {
    if (out.size() >= max) break;
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    out.push_back(ok ? c : '_');
  }
  return out;
}

}  // namespace kiln::cuda
