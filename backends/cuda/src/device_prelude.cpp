#include "device_prelude.h"

namespace kiln::cuda {

// Semantics follow the plan (plan/expr.h) and the CPU backend exactly:
//  - min(a, b) = b < a ? b : a and max(a, b) = a < b ? b : a (a NaN in `a` survives, one in
//    `b` does not), not fminf/fmaxf;
//  - integer Div truncates, INT64_MIN / -1 wraps (a zero divisor is refused by a range check);
//  - FloorDiv/Mod are floored for a positive divisor;
//  - float -> int64 truncates and saturates, NaN gives 0 (a C cast is undefined out of range);
//  - integer Pow squares with wrapping multiplications for e >= 0 and goes through double for
//    e < 0 (1, -1 or 0 but for a zero base);
//  - sigmoid is the stable logistic: e = exp(-|x|), x >= 0 ? 1/(1+e) : e/(1+e).
const char* const kDevicePrelude = R"(typedef long long i64;
typedef unsigned long long u64;

static __device__ __forceinline__ float kiln_minf(float a, float b) { return b < a ? b : a; }
static __device__ __forceinline__ float kiln_maxf(float a, float b) { return a < b ? b : a; }
static __device__ __forceinline__ double kiln_minf(double a, double b) { return b < a ? b : a; }
static __device__ __forceinline__ double kiln_maxf(double a, double b) { return a < b ? b : a; }
static __device__ __forceinline__ i64 kiln_mini(i64 a, i64 b) { return b < a ? b : a; }
static __device__ __forceinline__ i64 kiln_maxi(i64 a, i64 b) { return a < b ? b : a; }
static __device__ __forceinline__ i64 kiln_absi(i64 a) { return a < 0 ? -a : a; }
static __device__ __forceinline__ i64 kiln_divi(i64 a, i64 b) {
  return b == -1 ? (i64)(0ULL - (u64)a) : a / b;  // INT64_MIN / -1 wraps instead of trapping
}
static __device__ __forceinline__ i64 kiln_floordiv(i64 a, i64 b) {
  const i64 q = a / b;
  return a % b < 0 ? q - 1 : q;
}
static __device__ __forceinline__ i64 kiln_mod(i64 a, i64 b) {
  const i64 r = a % b;
  return r < 0 ? r + b : r;
}
static __device__ __forceinline__ i64 kiln_f2i(double x) {
  if (!(x == x)) return 0;
  if (x >= 9223372036854775807.0) return 9223372036854775807LL;
  if (x <= -9223372036854775808.0) return -9223372036854775807LL - 1LL;
  return (i64)x;
}
static __device__ i64 kiln_ipow(i64 base, i64 e) {
  if (e < 0) return kiln_f2i(pow((double)base, (double)e));
  u64 result = 1, square = (u64)base;
  for (u64 rest = (u64)e; rest != 0; rest >>= 1) {
    if (rest & 1) result *= square;
    square *= square;
  }
  return (i64)result;
}
static __device__ __forceinline__ float kiln_sigmoid(float x) {
  const float e = expf(-fabsf(x));
  const float s = 1.0f / (1.0f + e);
  return x >= 0.0f ? s : e * s;
}
static __device__ __forceinline__ double kiln_sigmoid(double x) {
  const double e = exp(-fabs(x));
  const double s = 1.0 / (1.0 + e);
  return x >= 0.0 ? s : e * s;
}
)";

}  // namespace kiln::cuda
