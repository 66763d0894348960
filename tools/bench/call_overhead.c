/* Fixed cost of one kiln_run: a one-op artifact (Relu on [1,1]) called in a tight loop from C,
 * so no Python/ctypes cost is included. Prints the median over 11 rounds of the mean ns/call.
 * Build: cc -O2 -I runtime/include call_overhead.c -L BUILD/lib -lkiln_runtime */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "kiln/kiln.h"

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

static int cmp(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  kiln_model* m = NULL;
  if (kiln_model_load(argv[1], &m) != KILN_STATUS_OK) {
    fprintf(stderr, "%s\n", kiln_last_error());
    return 1;
  }
  float x[16] __attribute__((aligned(64))) = {-1.0f}, y[16] __attribute__((aligned(64)));
  kiln_tensor in = {x, sizeof(float), KILN_DTYPE_FLOAT32, 2, {1, 1}, NULL};
  kiln_tensor out = {y, sizeof(float), KILN_DTYPE_FLOAT32, 2, {1, 1}, NULL};
  kiln_run_options opt;
  kiln_run_options_init(&opt);
  opt.num_threads = argc > 2 ? atoi(argv[2]) : 1;
  enum { ROUNDS = 11, CALLS = 100000 };
  double ns[ROUNDS];
  for (int r = 0; r < ROUNDS; ++r) {
    const double t0 = now();
    for (int i = 0; i < CALLS; ++i)
      if (kiln_run(m, &in, 1, &out, 1, &opt) != KILN_STATUS_OK) return 1;
    ns[r] = (now() - t0) / CALLS * 1e9;
  }
  qsort(ns, ROUNDS, sizeof ns[0], cmp);
  printf("%.1f\n", ns[ROUNDS / 2]);
  kiln_model_free(m);
  return 0;
}
