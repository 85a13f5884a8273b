/* A minimal STREAM-like triad (a[i] = b[i] + s * c[i]) for comparison with `llmroof probe`
   in README ("Measuring this machine"). Not built by CMake: cc -O2 -fopenmp stream_triad.c.
   Bandwidth counts STREAM's 3 arrays x 8 bytes per element (the write-allocate read of `a` is
   not counted, as in STREAM). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define N (32L * 1024 * 1024) /* 3 x 256 MiB, far beyond any last-level cache */
#define PASSES 10

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(void) {
  double *a = malloc(N * sizeof(double)), *b = malloc(N * sizeof(double)),
         *c = malloc(N * sizeof(double));
  if (!a || !b || !c) {
    return 1;
  }
#pragma omp parallel for
  for (long i = 0; i < N; ++i) {
    a[i] = 0;
    b[i] = 1;
    c[i] = 2;
  }
  double best = 1e30;
  for (int pass = 0; pass < PASSES; ++pass) {
    const double start = now();
#pragma omp parallel for
    for (long i = 0; i < N; ++i) {
      a[i] = b[i] + 3.0 * c[i];
    }
    const double seconds = now() - start;
    if (seconds < best) {
      best = seconds;
    }
  }
  printf("Triad: %.2f GB/s (best of %d, %ld MiB per array, check %.1f)\n",
         3.0 * 8.0 * (double)N / best / 1e9, PASSES, N * 8 / (1024 * 1024), a[N / 2]);
  return 0;
}
