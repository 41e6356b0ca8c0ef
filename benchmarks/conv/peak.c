/* Single-core floating-point peak of this machine (f32 FMA), for the
 * GFLOP/s figures of docs/BENCHMARKS.md: 16 independent accumulator chains
 * of vector FMAs (GCC vector extensions; the width is that of -march=native's
 * widest vector, 64 bytes with AVX-512), timed over ITER iterations.
 *
 *   gcc -O2 -march=native benchmarks/conv/peak.c -o peak && taskset -c 1 ./peak
 *   (-DCPU_TIME: timed by the process's CPU time, as benchmarks/conv/kernels.py
 *   does)
 */
#include <stdio.h>
#include <time.h>

#ifndef VBYTES
#if defined(__AVX512F__)
#define VBYTES 64
#elif defined(__AVX__)
#define VBYTES 32
#else
#define VBYTES 16
#endif
#endif
typedef float vf __attribute__((vector_size(VBYTES)));
#define LANES (VBYTES / 4)
#define CHAINS 16

/* -DCPU_TIME: the process's CPU time instead of the wall clock (on a
 * time-shared core the wall clock also counts the other processes' slices). */
static double now(void) {
  struct timespec t;
#ifdef CPU_TIME
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
#else
  clock_gettime(CLOCK_MONOTONIC, &t);
#endif
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

int main(void) {
  const long iters = 20000000;
  vf acc[CHAINS], a, b;
  for (int i = 0; i < LANES; ++i) {
    a[i] = 0.999999f;
    b[i] = 1e-7f;
  }
  for (int c = 0; c < CHAINS; ++c)
    acc[c] = a * (float)c;
  double best = 0;
  for (int rep = 0; rep < 5; ++rep) {
    double t0 = now();
    for (long i = 0; i < iters; ++i) {
#pragma GCC unroll 16
      for (int c = 0; c < CHAINS; ++c)
        acc[c] = acc[c] * a + b;
      __asm__ volatile("" : "+v"(a));
    }
    double dt = now() - t0;
    double gflops = 2.0 * LANES * CHAINS * iters / dt * 1e-9;
    if (gflops > best)
      best = gflops;
  }
  float sink = 0;
  for (int c = 0; c < CHAINS; ++c)
    for (int i = 0; i < LANES; ++i)
      sink += acc[c][i];
  printf("{\"tool\": \"peak\", \"vector_bytes\": %d, \"chains\": %d, "
         "\"gflops_best_of_5\": %.1f, \"checksum\": %g}\n",
         VBYTES, CHAINS, best, sink);
  return 0;
}
