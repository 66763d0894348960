/* Single-core FP32 FMA peak: 10 independent chains of vector FMAs (enough to cover the FMA
 * latency x throughput of current x86 cores), with AVX2 <8 x float> and, when the compiler
 * targets AVX-512, <16 x float>. Prints GFLOP/s (2 flops per lane per FMA), one number per
 * vector width. Build: cc -O3 -march=native fma_peak.c -o fma_peak */
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

enum { CHAINS = 10 };
static const long kIters = 50000000;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

static double peak256(void) {
  double best = 0;
  for (int rep = 0; rep < 5; ++rep) {
    __m256 acc[CHAINS];
    const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
    for (int c = 0; c < CHAINS; ++c) acc[c] = _mm256_set1_ps((float)c);
    const double t0 = now();
    for (long i = 0; i < kIters / CHAINS; ++i)
      for (int c = 0; c < CHAINS; ++c) acc[c] = _mm256_fmadd_ps(acc[c], a, b);
    const double dt = now() - t0;
    float sink = 0;
    for (int c = 0; c < CHAINS; ++c) sink += _mm256_cvtss_f32(acc[c]);
    if (sink == 12345.0f) printf("#");
    const double g = (double)(kIters / CHAINS) * CHAINS * 16 / dt * 1e-9;
    if (g > best) best = g;
  }
  return best;
}

#ifdef __AVX512F__
static double peak512(void) {
  double best = 0;
  for (int rep = 0; rep < 5; ++rep) {
    __m512 acc[CHAINS];
    const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
    for (int c = 0; c < CHAINS; ++c) acc[c] = _mm512_set1_ps((float)c);
    const double t0 = now();
    for (long i = 0; i < kIters / CHAINS; ++i)
      for (int c = 0; c < CHAINS; ++c) acc[c] = _mm512_fmadd_ps(acc[c], a, b);
    const double dt = now() - t0;
    float sink = 0;
    for (int c = 0; c < CHAINS; ++c) sink += _mm512_reduce_add_ps(acc[c]);
    if (sink == 12345.0f) printf("#");
    const double g = (double)(kIters / CHAINS) * CHAINS * 32 / dt * 1e-9;
    if (g > best) best = g;
  }
  return best;
}
#endif

int main(void) {
  printf("%.2f", peak256());
#ifdef __AVX512F__
  printf(" %.2f", peak512());
#endif
  printf("\n");
  return 0;
}
