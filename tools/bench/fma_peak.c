/* Single-core FP32 FMA peak: 10 independent chains of <8 x float> FMAs (enough to cover the
 * FMA latency x throughput of current x86 cores). Prints GFLOP/s (2 flops per lane per FMA).
 * Build: cc -O3 -mavx2 -mfma fma_peak.c -o fma_peak */
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

int main(void) {
  enum { CHAINS = 10 };
  const long iters = 100000000;
  __m256 acc[CHAINS];
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
  double best = 0;
  for (int rep = 0; rep < 5; ++rep) {
    for (int c = 0; c < CHAINS; ++c) acc[c] = _mm256_set1_ps((float)c);
    const double t0 = now();
    for (long i = 0; i < iters / 10; ++i)
      for (int c = 0; c < CHAINS; ++c) acc[c] = _mm256_fmadd_ps(acc[c], a, b);
    const double dt = now() - t0;
    float sink = 0;
    for (int c = 0; c < CHAINS; ++c) sink += _mm256_cvtss_f32(acc[c]);
    const double gflops = (double)(iters / 10) * CHAINS * 16 / dt * 1e-9;
    if (gflops > best) best = gflops;
    if (sink == 12345.0f) printf("#");
  }
  printf("%.2f\n", best);
  return 0;
}
