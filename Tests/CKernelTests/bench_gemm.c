// Micro-benchmark for the CEdgeKernels GEMM variants (not a test: prints GFLOPS, exits 0).
// Shapes are those of the target small CNN: conv GEMMs (M = output channels 16..64, K = 9..600,
// N = pixels 16..64) and batch-1 Linear layers (M = 1, K = 64..1024, N = 10..1024, B = packed
// weights). Also times im2col into packed panels and depthwise conv.
//
// Build (bash: `shopt -s globstar` first):
//   cc -O2 -I Sources/CEdgeKernels/include Sources/CEdgeKernels/**/*.c
//      Tests/CKernelTests/bench_gemm.c -lm -o bench_gemm && ./bench_gemm
#define _POSIX_C_SOURCE 199309L
#include "edge_kernels.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);  // CPU time: robust to a busy machine
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void fill(float* p, size_t n) {
    unsigned s = 12345u;
    for (size_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        p[i] = (float)(s >> 8) / 16777216.0f - 0.5f;
    }
}

// Best-of-5 seconds per call, each sample running the call for >= ~20 ms.
#define TIME_BEST(result, stmt)                                               \
    do {                                                                      \
        size_t reps_ = 1;                                                     \
        for (;;) {                                                            \
            const double t0_ = now_s();                                       \
            for (size_t r_ = 0; r_ < reps_; r_++) { stmt; }                   \
            if (now_s() - t0_ > 0.02) break;                                  \
            reps_ *= 2;                                                       \
        }                                                                     \
        double best_ = 1e30;                                                  \
        for (int s_ = 0; s_ < 5; s_++) {                                      \
            const double t0_ = now_s();                                       \
            for (size_t r_ = 0; r_ < reps_; r_++) { stmt; }                   \
            const double dt_ = (now_s() - t0_) / (double)reps_;               \
            if (dt_ < best_) best_ = dt_;                                     \
        }                                                                     \
        (result) = best_;                                                     \
    } while (0)

static void bench_gemm(const ep_f32_gemm_config* const* cfgs, size_t ncfg, size_t m, size_t n,
                       size_t k, const char* what) {
    float* a = malloc(sizeof(float) * m * k);
    float* b = malloc(sizeof(float) * k * n);
    float* c = malloc(sizeof(float) * m * n);
    float* bias = malloc(sizeof(float) * (m > n ? m : n));
    fill(a, m * k);
    fill(b, k * n);
    fill(bias, m > n ? m : n);
    const ep_f32_minmax_params relu = {0.0f, INFINITY};
    printf("%-7s M=%4zu N=%4zu K=%4zu", what, m, n, k);
    for (size_t ci = 0; ci < ncfg; ci++) {
        const ep_f32_gemm_config* cfg = cfgs[ci];
        float* packed = malloc(sizeof(float) * ep_f32_gemm_packed_b_size(k, n, cfg->nr));
        ep_f32_gemm_pack_b(k, n, cfg->nr, b, n, 1, packed);
        // Conv: per-output-channel bias (bias_m); Linear: per-output-feature bias (bias_n).
        const float* bm = m > 1 ? bias : NULL;
        const float* bn = m > 1 ? NULL : bias;
        double t;
        TIME_BEST(t, ep_f32_gemm(cfg, m, n, k, a, k, packed, c, n, bm, bn, &relu));
        printf("  %8.2f", 2.0 * (double)m * (double)n * (double)k / t * 1e-9);
        free(packed);
    }
    printf("   GFLOPS\n");
    free(a); free(b); free(c); free(bias);
}

static void bench_conv(const ep_f32_gemm_config* cfg, size_t in_c, size_t hw, size_t out_c,
                       size_t kk, size_t stride) {
    ep_conv2d_geometry g = {in_c, hw, hw, kk, kk, stride, stride, 1, 1, kk / 2, kk / 2, 0, 0};
    g.out_h = (hw + 2 * (kk / 2) - kk) / stride + 1;
    g.out_w = g.out_h;
    const size_t K = in_c * kk * kk, N = g.out_h * g.out_w;
    float* in = malloc(sizeof(float) * in_c * hw * hw);
    float* w = malloc(sizeof(float) * out_c * K);
    float* bias = malloc(sizeof(float) * out_c);
    float* out = malloc(sizeof(float) * out_c * N);
    float* packed = malloc(sizeof(float) * ep_f32_gemm_packed_b_size(K, N, cfg->nr));
    fill(in, in_c * hw * hw);
    fill(w, out_c * K);
    fill(bias, out_c);
    const ep_f32_minmax_params relu = {0.0f, INFINITY};
    double t_im2col, t_total;
    TIME_BEST(t_im2col, ep_f32_im2col_packed(&g, cfg->nr, in, packed));
    TIME_BEST(t_total, {
        ep_f32_im2col_packed(&g, cfg->nr, in, packed);
        ep_f32_gemm(cfg, out_c, N, K, w, K, packed, out, N, bias, NULL, &relu);
    });
    printf("conv %2zux%-2zu c=%3zu->%3zu %zux%zu s%zu (M=%zu N=%zu K=%zu): im2col %6.2f us, "
           "im2col+gemm %7.2f us = %6.2f GFLOPS\n",
           hw, hw, in_c, out_c, kk, kk, stride, out_c, N, K, t_im2col * 1e6, t_total * 1e6,
           2.0 * (double)out_c * (double)N * (double)K / t_total * 1e-9);
    free(in); free(w); free(bias); free(out); free(packed);
}

static void bench_dwconv(size_t channels, size_t hw, size_t stride) {
    ep_conv2d_geometry g = {1, hw, hw, 3, 3, stride, stride, 1, 1, 1, 1, 0, 0};
    g.out_h = (hw + 2 - 3) / stride + 1;
    g.out_w = g.out_h;
    float* in = malloc(sizeof(float) * channels * hw * hw);
    float* w = malloc(sizeof(float) * channels * 9);
    float* bias = malloc(sizeof(float) * channels);
    float* out = malloc(sizeof(float) * channels * g.out_h * g.out_w);
    fill(in, channels * hw * hw);
    fill(w, channels * 9);
    fill(bias, channels);
    const ep_f32_minmax_params relu6 = {0.0f, 6.0f};
    const ep_f32_dwconv2d_config* cfgs[8];
    const size_t ncfg = ep_f32_dwconv2d_list_configs(cfgs, 8);
    printf("dwconv 3x3 s%zu c=%3zu %2zux%-2zu:", stride, channels, hw, hw);
    for (size_t ci = 0; ci < ncfg; ci++) {
        double t;
        TIME_BEST(t, cfgs[ci]->fn(&g, channels, in, w, bias, out, &relu6));
        printf("  %s %7.2f us (%5.2f GFLOPS)", cfgs[ci]->name, t * 1e6,
               2.0 * 9.0 * (double)(channels * g.out_h * g.out_w) / t * 1e-9);
    }
    printf("\n");
    free(in); free(w); free(bias); free(out);
}

int main(void) {
    const ep_f32_gemm_config* cfgs[16];
    const size_t ncfg = ep_f32_gemm_list_configs(cfgs, 16);
    printf("%-34s", "shape");
    for (size_t i = 0; i < ncfg; i++) printf("  %s", cfgs[i]->name + sizeof("ep_f32_gemm_minmax_ukernel_") - 1);
    printf("\n");
    static const size_t conv[][3] = {  // M, N, K
        {16, 64, 9},   {16, 64, 27},  {16, 64, 144}, {32, 64, 144}, {32, 64, 288},
        {32, 16, 288}, {64, 16, 288}, {64, 16, 576}, {64, 64, 576}, {64, 36, 600},
        {16, 16, 600}, {48, 49, 432}};
    for (size_t i = 0; i < sizeof(conv) / sizeof(conv[0]); i++) {
        bench_gemm(cfgs, ncfg, conv[i][0], conv[i][1], conv[i][2], "conv");
    }
    static const size_t linear[][2] = {  // K, N
        {64, 10}, {128, 64}, {256, 128}, {512, 256}, {1024, 10}, {1024, 128},
        {1024, 512}, {1024, 1024}, {256, 1024}};
    for (size_t i = 0; i < sizeof(linear) / sizeof(linear[0]); i++) {
        bench_gemm(cfgs, ncfg, 1, linear[i][1], linear[i][0], "linear");
    }
    printf("\nconvolution with the selected GEMM (%s):\n", ep_f32_gemm_get_config()->name);
    const ep_f32_gemm_config* sel = ep_f32_gemm_get_config();
    bench_conv(sel, 1, 8, 16, 3, 1);
    bench_conv(sel, 3, 8, 16, 3, 1);
    bench_conv(sel, 16, 8, 32, 3, 1);
    bench_conv(sel, 32, 8, 64, 3, 1);
    bench_conv(sel, 64, 8, 64, 3, 1);
    bench_conv(sel, 32, 16, 64, 3, 2);
    bench_conv(sel, 64, 8, 64, 1, 1);
    printf("\n");
    bench_dwconv(32, 16, 1);
    bench_dwconv(64, 8, 1);
    bench_dwconv(32, 32, 2);
    return 0;
}
