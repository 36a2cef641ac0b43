// Runtime dispatch for the core's own loops. Prebuilt binaries are compiled for baseline x86-64
// (SSE2), which leaves most of a modern CPU's vector width unused in the elementwise loops that sit
// between BLAS calls (the rank-1 update of collect, Adam, mirroring). INDEE_MULTIVERSION compiles
// such a function for AVX-512, AVX2 and the baseline, and the loader picks the best the CPU has.
#pragma once

#if defined(__x86_64__) && defined(__GNUC__) && defined(__linux__)
#define INDEE_MULTIVERSION __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define INDEE_MULTIVERSION
#endif
