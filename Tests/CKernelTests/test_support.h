// Standalone randomized tests for the CEdgeKernels C library: one file per kernel family
// (test_<family>.c, mirroring Sources/CEdgeKernels/<family>/), shared helpers in test_support.c,
// main in test_main.c. Build and run with run.sh (native) or toolchains/test-kernels-aarch64.sh.
// Every SIMD variant is compared with its family's scalar reference, and the reference with a
// double-precision naive computation, on random shapes, odd sizes and tails. main prints one line
// per failing case, then exactly "N passed, N failed"; the exit code is 1 on any failure.
#ifndef EDGEPRUNE_TEST_SUPPORT_H
#define EDGEPRUNE_TEST_SUPPORT_H

#include "edge_kernels.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern size_t g_passed, g_failed;

/// Counts a pass, or a failure and prints "FAIL <message>".
void check(int ok, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

unsigned rnd(void);                          // deterministic xorshift
size_t rnd_range(size_t lo, size_t hi);      // uniform in [lo, hi]
float rnd_float(void);                       // uniform in [-1, 1]
void fill(float* p, size_t n);               // n random floats
void* xmalloc(size_t bytes);                 // malloc or exit(2)
static const float kSentinel = 1234567.0f;   // marks memory a kernel must not write

/// |got - want| within 1e-5 * k relative (absolute near zero).
int close_enough(float got, double want, size_t k);
double clampd(double v, const ep_f32_minmax_params* p);
/// Identity, Relu, Relu6 or a narrow Clip.
ep_f32_minmax_params random_clamp(void);

/// Random conv geometry; returns 0 when the kernel does not fit the padded input.
int random_geometry(ep_conv2d_geometry* g, int one_d, size_t min_h, size_t max_h, size_t min_w,
                    size_t max_w);
/// One output point of a naive convolution (all of g->in_c channels, weights c x kh x kw).
double naive_conv_point(const ep_conv2d_geometry* g, const float* in, const float* w, size_t oh,
                        size_t ow);
void describe_geometry(char* buf, size_t size, const ep_conv2d_geometry* g);

// One entry point per family.
void test_f32_gemm(void);
void test_f32_conv(void);
void test_f32_dwconv(void);
void test_f32_spmm_csr(void);
void test_f32_linear(void);     // every Linear weight format x kernel against a double product
void test_f32_bsr(void);        // block-sparse format specifics
void test_f32_nm(void);         // N:M format specifics
void test_f32_spmm_pixels(void);  // sparse weights x dense pixels (conv)
void test_qs8_linear(void);     // int8 Linear formats and kernels
void test_qs8_convert(void);    // f32 <-> uint8 activation conversion
void test_qs8_im2col(void);     // pixel-major uint8 im2col, dequantizing transpose
void test_f32_pack(void);       // weight packers byte-identical to the reference packers

#endif
