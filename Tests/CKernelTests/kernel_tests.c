// Standalone randomized tests for the CEdgeKernels C library.
//
// Build and run (from the package root; with bash, `shopt -s globstar` first, or use run.sh):
//   cc -O2 -I Sources/CEdgeKernels/include Sources/CEdgeKernels/**/*.c
//      Tests/CKernelTests/kernel_tests.c -lm && ./a.out
//
// Checks:
//   * every GEMM variant this CPU supports (ep_f32_gemm_list_configs) against the scalar reference
//     and the scalar reference against a double-precision naive product, on random shapes
//     (m, n, k in 1..70, odd sizes, partial tiles, lda/ldc padding, row-major and transposed B,
//     with/without biases, several clamps), and that nothing outside the M x N output is written;
//   * ep_f32_im2col_packed against a naive im2col packed with ep_f32_gemm_pack_b (bit-exact), and
//     convolution = im2col + GEMM against naive nested loops (stride, dilation, asymmetric pads, 1-D);
//   * every depthwise variant against the scalar reference, and the reference against naive loops;
//   * CSR packing + every sparse (CSR) x dense variant against a double-precision dense product of
//     the same matrix with its zeros, at sparsities 0 to 100%, and CSR validation on corrupt arrays.
// Prints one line per failing case, then exactly "N passed, N failed"; exit code 1 on failure.
#include "edge_kernels.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t g_passed, g_failed;

// ---------------------------------------------------------------------------------------------
// Helpers

static unsigned long long g_rng = 0x9E3779B97F4A7C15ULL;
static unsigned rnd(void) {
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (unsigned)(g_rng >> 16);
}
static size_t rnd_range(size_t lo, size_t hi) { return lo + rnd() % (hi - lo + 1); }  // [lo, hi]
static float rnd_float(void) { return (float)((double)(rnd() % 2000001) / 1000000.0 - 1.0); }
static void fill(float* p, size_t n) {
    for (size_t i = 0; i < n; i++) p[i] = rnd_float();
}

static const float kSentinel = 1234567.0f;

static void* xmalloc(size_t bytes) {
    void* p = malloc(bytes ? bytes : 1);
    if (p == NULL) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    return p;
}

// |got - want| within 1e-5 * K relative (absolute near zero).
static int close_enough(float got, double want, size_t k) {
    const double tol = 1e-5 * (double)(k > 0 ? k : 1) * fmax(1.0, fabs(want));
    return fabs((double)got - want) <= tol;
}

static double clampd(double v, const ep_f32_minmax_params* p) {
    if (v < p->min) v = p->min;
    if (v > p->max) v = p->max;
    return v;
}

static ep_f32_minmax_params random_clamp(void) {
    ep_f32_minmax_params p;
    switch (rnd() % 4) {
        case 0: p.min = -INFINITY; p.max = INFINITY; break;
        case 1: p.min = 0.0f; p.max = INFINITY; break;  // Relu
        case 2: p.min = 0.0f; p.max = 6.0f; break;      // Relu6
        default: {                                      // narrow Clip
            const float a = rnd_float(), b = rnd_float();
            p.min = a < b ? a : b;
            p.max = a < b ? b : a;
        }
    }
    return p;
}

// ---------------------------------------------------------------------------------------------
// GEMM

static void test_gemm_case(const ep_f32_gemm_config* const* cfgs, size_t ncfg, size_t m,
                           size_t n, size_t k) {
    const size_t lda = k + (rnd() % 2 ? rnd_range(0, 5) : 0);
    const size_t ldc = n + (rnd() % 2 ? rnd_range(0, 5) : 0);
    const int transposed_b = rnd() % 2;  // B given as W[n, k] (Linear weights)
    const int bias_kind = rnd() % 4;
    const ep_f32_minmax_params params = random_clamp();

    float* a = xmalloc(sizeof(float) * (m * lda + 1));
    float* b = xmalloc(sizeof(float) * (k * n + 1));
    float* bias_m = xmalloc(sizeof(float) * m);
    float* bias_n = xmalloc(sizeof(float) * n);
    const size_t c_size = m * ldc + 16;  // tail guard past the last row
    float* c = xmalloc(sizeof(float) * c_size);
    float* c_ref = xmalloc(sizeof(float) * c_size);
    double* want = xmalloc(sizeof(double) * m * n);
    fill(a, m * lda);
    fill(b, k * n);
    fill(bias_m, m);
    fill(bias_n, n);
    const float* bm = (bias_kind & 1) ? bias_m : NULL;
    const float* bn = (bias_kind & 2) ? bias_n : NULL;
    const size_t rs = transposed_b ? 1 : n, cs = transposed_b ? k : 1;

    for (size_t i = 0; i < m; i++) {
        for (size_t j = 0; j < n; j++) {
            double acc = 0.0;
            for (size_t p = 0; p < k; p++) acc += (double)a[i * lda + p] * b[p * rs + j * cs];
            if (bm) acc += bm[i];
            if (bn) acc += bn[j];
            want[i * n + j] = clampd(acc, &params);
        }
    }

    const ep_f32_gemm_config* ref = ep_f32_gemm_get_reference_config();
    for (size_t ci = 0; ci < ncfg + 1; ci++) {
        const ep_f32_gemm_config* cfg = ci == 0 ? ref : cfgs[ci - 1];
        if (ci > 0 && cfg == ref) continue;
        const size_t psize = ep_f32_gemm_packed_b_size(k, n, cfg->nr);
        float* packed = xmalloc(sizeof(float) * (psize + 8));
        for (size_t i = 0; i < psize + 8; i++) packed[i] = kSentinel;
        ep_f32_gemm_pack_b(k, n, cfg->nr, b, rs, cs, packed);
        int bad = 0;
        for (size_t i = psize; i < psize + 8; i++) bad |= packed[i] != kSentinel;
        for (size_t i = 0; i < psize; i++) bad |= packed[i] == kSentinel;
        float* out = ci == 0 ? c_ref : c;
        for (size_t i = 0; i < c_size; i++) out[i] = kSentinel;
        ep_f32_gemm(cfg, m, n, k, a, lda, packed, out, ldc, bm, bn, &params);
        double worst = 0.0;
        size_t wi = 0, wj = 0;
        for (size_t i = 0; i < m && !bad; i++) {
            for (size_t j = 0; j < ldc; j++) {
                const float got = out[i * ldc + j];
                if (j >= n) {
                    if (got != kSentinel) bad = 2;
                    continue;
                }
                // SIMD variants against the scalar reference; the reference against doubles.
                const double w = ci == 0 ? want[i * n + j] : (double)c_ref[i * ldc + j];
                if (!close_enough(got, w, k) || got != got) {
                    const double d = fabs((double)got - w);
                    if (!bad || d > worst) { worst = d; wi = i; wj = j; }
                    bad = bad ? bad : 3;
                }
            }
        }
        for (size_t i = m * ldc; i < c_size; i++) bad |= out[i] != kSentinel ? 4 : 0;
        if (bad) {
            g_failed++;
            printf("FAIL gemm %s m=%zu n=%zu k=%zu lda=%zu ldc=%zu transB=%d bias=%d clamp=[%g,%g]"
                   " code=%d worst |diff|=%g at (%zu,%zu)\n",
                   cfg->name, m, n, k, lda, ldc, transposed_b, bias_kind, params.min,
                   params.max, bad, worst, wi, wj);
        } else {
            g_passed++;
        }
        free(packed);
    }
    free(a); free(b); free(bias_m); free(bias_n); free(c); free(c_ref); free(want);
}

static void test_gemm(void) {
    const ep_f32_gemm_config* cfgs[16];
    const size_t ncfg = ep_f32_gemm_list_configs(cfgs, 16);
    // Fixed edge shapes: single row / column, k = 0 and 1, exact and off-by-one tiles.
    const size_t edges[][3] = {{1, 1, 1}, {1, 1, 0}, {3, 5, 0}, {1, 10, 64},  {1, 16, 1024},
                               {1, 17, 7}, {6, 16, 9}, {7, 17, 9}, {16, 64, 600}, {64, 16, 27},
                               {5, 33, 70}, {8, 8, 8}, {9, 9, 9}, {12, 32, 3}, {2, 1000, 5}};
    for (size_t e = 0; e < sizeof(edges) / sizeof(edges[0]); e++) {
        test_gemm_case(cfgs, ncfg, edges[e][0], edges[e][1], edges[e][2]);
    }
    for (int it = 0; it < 1500; it++) {
        test_gemm_case(cfgs, ncfg, rnd_range(1, 70), rnd_range(1, 70), rnd_range(1, 70));
    }
    // The selected config must be one of the listed ones.
    const ep_f32_gemm_config* sel = ep_f32_gemm_get_config();
    int found = 0;
    for (size_t i = 0; i < ncfg; i++) found |= cfgs[i] == sel;
    if (found && sel->mr > 0 && sel->nr > 0) {
        g_passed++;
    } else {
        g_failed++;
        printf("FAIL gemm selected config %s is not in the list\n", sel->name);
    }
}

// ---------------------------------------------------------------------------------------------
// im2col + GEMM convolution

// Random geometry with in_h in [min_h, max_h] (1 if one_d) and in_w in [min_w, max_w]; returns 0
// when the kernel does not fit the padded input.
static int random_geometry(ep_conv2d_geometry* g, int one_d, size_t min_h, size_t max_h,
                           size_t min_w, size_t max_w) {
    g->in_c = rnd_range(1, 6);
    g->in_h = one_d ? 1 : rnd_range(min_h, max_h);
    g->in_w = rnd_range(min_w, max_w);
    g->k_h = one_d ? 1 : rnd_range(1, 4);
    g->k_w = rnd_range(1, 5);
    g->stride_h = one_d ? 1 : rnd_range(1, 3);
    g->stride_w = rnd_range(1, 3);
    g->dil_h = one_d ? 1 : rnd_range(1, 2);
    g->dil_w = rnd_range(1, 2);
    g->pad_top = one_d ? 0 : rnd_range(0, 2);
    g->pad_left = rnd_range(0, 3);
    const size_t pad_bottom = one_d ? 0 : rnd_range(0, 2), pad_right = rnd_range(0, 3);
    const size_t span_h = g->dil_h * (g->k_h - 1) + 1, span_w = g->dil_w * (g->k_w - 1) + 1;
    const size_t ph = g->in_h + g->pad_top + pad_bottom, pw = g->in_w + g->pad_left + pad_right;
    if (ph < span_h || pw < span_w) return 0;
    g->out_h = (ph - span_h) / g->stride_h + 1;
    g->out_w = (pw - span_w) / g->stride_w + 1;
    return 1;
}

static double naive_conv_point(const ep_conv2d_geometry* g, const float* in, const float* w,
                               size_t oh, size_t ow) {
    double acc = 0.0;
    for (size_t c = 0; c < g->in_c; c++) {
        for (size_t kh = 0; kh < g->k_h; kh++) {
            for (size_t kw = 0; kw < g->k_w; kw++) {
                const long ih = (long)(oh * g->stride_h + kh * g->dil_h) - (long)g->pad_top;
                const long iw = (long)(ow * g->stride_w + kw * g->dil_w) - (long)g->pad_left;
                if (ih < 0 || iw < 0 || ih >= (long)g->in_h || iw >= (long)g->in_w) continue;
                acc += (double)in[(c * g->in_h + (size_t)ih) * g->in_w + (size_t)iw] *
                       w[(c * g->k_h + kh) * g->k_w + kw];
            }
        }
    }
    return acc;
}

static void describe(char* buf, size_t size, const ep_conv2d_geometry* g) {
    snprintf(buf, size,
             "c=%zu in=%zux%zu k=%zux%zu s=%zux%zu d=%zux%zu pad(t,l)=%zu,%zu out=%zux%zu",
             g->in_c, g->in_h, g->in_w, g->k_h, g->k_w, g->stride_h, g->stride_w, g->dil_h,
             g->dil_w, g->pad_top, g->pad_left, g->out_h, g->out_w);
}

// big: inputs larger than the kernels' 32 KB padded-plane buffer (exercises the general paths).
static void test_conv_case(const ep_f32_gemm_config* const* cfgs, size_t ncfg, int one_d, int big) {
    ep_conv2d_geometry g;
    while (!(big ? random_geometry(&g, one_d, 92, 100, one_d ? 8200 : 90, one_d ? 9000 : 100)
                 : random_geometry(&g, one_d, 1, 12, 1, one_d ? 40 : 12))) {
    }
    if (big) g.in_c = rnd_range(1, 2);
    const size_t K = g.in_c * g.k_h * g.k_w, N = g.out_h * g.out_w;
    const size_t out_c = big ? rnd_range(1, 3) : rnd_range(1, 20);
    const ep_f32_minmax_params params = random_clamp();
    float* in = xmalloc(sizeof(float) * g.in_c * g.in_h * g.in_w);
    float* w = xmalloc(sizeof(float) * out_c * K);
    float* bias = xmalloc(sizeof(float) * out_c);
    float* cols = xmalloc(sizeof(float) * K * N);  // naive im2col matrix, row-major K x N
    float* out = xmalloc(sizeof(float) * out_c * N);
    fill(in, g.in_c * g.in_h * g.in_w);
    fill(w, out_c * K);
    fill(bias, out_c);
    for (size_t c = 0; c < g.in_c; c++) {
        for (size_t kh = 0; kh < g.k_h; kh++) {
            for (size_t kw = 0; kw < g.k_w; kw++) {
                for (size_t oh = 0; oh < g.out_h; oh++) {
                    for (size_t ow = 0; ow < g.out_w; ow++) {
                        const long ih = (long)(oh * g.stride_h + kh * g.dil_h) - (long)g.pad_top;
                        const long iw = (long)(ow * g.stride_w + kw * g.dil_w) - (long)g.pad_left;
                        const int inside = ih >= 0 && iw >= 0 && ih < (long)g.in_h && iw < (long)g.in_w;
                        cols[((c * g.k_h + kh) * g.k_w + kw) * N + oh * g.out_w + ow] =
                            inside ? in[(c * g.in_h + (size_t)ih) * g.in_w + (size_t)iw] : 0.0f;
                    }
                }
            }
        }
    }
    char desc[256];
    describe(desc, sizeof(desc), &g);
    for (size_t ci = 0; ci < ncfg; ci++) {
        const ep_f32_gemm_config* cfg = cfgs[ci];
        const size_t psize = ep_f32_gemm_packed_b_size(K, N, cfg->nr);
        float* packed = xmalloc(sizeof(float) * (psize + 8));
        float* expect = xmalloc(sizeof(float) * (psize + 8));
        for (size_t i = 0; i < psize + 8; i++) packed[i] = kSentinel;
        for (size_t i = 0; i < psize + 8; i++) expect[i] = kSentinel;
        ep_f32_im2col_packed(&g, cfg->nr, in, packed);
        ep_f32_gemm_pack_b(K, N, cfg->nr, cols, N, 1, expect);
        if (memcmp(packed, expect, sizeof(float) * (psize + 8)) != 0) {
            g_failed++;
            printf("FAIL im2col_packed nr=%zu %s\n", cfg->nr, desc);
        } else {
            g_passed++;
        }
        ep_f32_gemm(cfg, out_c, N, K, w, K, packed, out, N, bias, NULL, &params);
        int bad = 0;
        double worst = 0.0;
        for (size_t o = 0; o < out_c; o++) {
            for (size_t oh = 0; oh < g.out_h; oh++) {
                for (size_t ow = 0; ow < g.out_w; ow++) {
                    const double want =
                        clampd(naive_conv_point(&g, in, w + o * K, oh, ow) + bias[o], &params);
                    const float got = out[o * N + oh * g.out_w + ow];
                    if (!close_enough(got, want, K)) {
                        bad = 1;
                        worst = fmax(worst, fabs(got - want));
                    }
                }
            }
        }
        if (bad) {
            g_failed++;
            printf("FAIL conv(im2col+gemm) %s out_c=%zu %s worst |diff|=%g\n", cfg->name, out_c,
                   desc, worst);
        } else {
            g_passed++;
        }
        free(packed);
        free(expect);
    }
    free(in); free(w); free(bias); free(cols); free(out);
}

static void test_conv(void) {
    const ep_f32_gemm_config* cfgs[16];
    const size_t ncfg = ep_f32_gemm_list_configs(cfgs, 16);
    for (int it = 0; it < 400; it++) test_conv_case(cfgs, ncfg, 0, 0);
    for (int it = 0; it < 150; it++) test_conv_case(cfgs, ncfg, 1, 0);
    for (int it = 0; it < 6; it++) test_conv_case(cfgs, ncfg, 0, 1);
    for (int it = 0; it < 6; it++) test_conv_case(cfgs, ncfg, 1, 1);
}

// ---------------------------------------------------------------------------------------------
// Depthwise convolution

static void test_dwconv_case(const ep_f32_dwconv2d_config* const* cfgs, size_t ncfg, int one_d,
                             int big) {
    ep_conv2d_geometry g;
    while (!(big ? random_geometry(&g, one_d, 92, 100, one_d ? 8200 : 90, one_d ? 9000 : 100)
                 : random_geometry(&g, one_d, 1, 12, 1, rnd() % 2 ? 12 : 70))) {
    }
    const size_t channels = big ? rnd_range(1, 2) : rnd_range(1, 5);
    const size_t in_size = channels * g.in_h * g.in_w, out_size = channels * g.out_h * g.out_w;
    const size_t ksize = g.k_h * g.k_w;
    const ep_f32_minmax_params params = random_clamp();
    const int with_bias = rnd() % 3 != 0;
    float* in = xmalloc(sizeof(float) * in_size);
    float* w = xmalloc(sizeof(float) * channels * ksize);
    float* bias = xmalloc(sizeof(float) * channels);
    float* ref = xmalloc(sizeof(float) * (out_size + 16));
    float* out = xmalloc(sizeof(float) * (out_size + 16));
    fill(in, in_size);
    fill(w, channels * ksize);
    fill(bias, channels);
    char desc[256];
    describe(desc, sizeof(desc), &g);
    for (size_t ci = 0; ci < ncfg; ci++) {
        float* dst = ci == 0 ? ref : out;
        for (size_t i = 0; i < out_size + 16; i++) dst[i] = kSentinel;
        cfgs[ci]->fn(&g, channels, in, w, with_bias ? bias : NULL, dst, &params);
        int bad = 0;
        double worst = 0.0;
        for (size_t i = out_size; i < out_size + 16; i++) bad |= dst[i] != kSentinel;
        for (size_t c = 0; c < channels; c++) {
            ep_conv2d_geometry g1 = g;
            g1.in_c = 1;
            for (size_t oh = 0; oh < g.out_h; oh++) {
                for (size_t ow = 0; ow < g.out_w; ow++) {
                    const size_t idx = (c * g.out_h + oh) * g.out_w + ow;
                    double want;
                    if (ci == 0) {
                        want = naive_conv_point(&g1, in + c * g.in_h * g.in_w, w + c * ksize, oh, ow);
                        want = clampd(want + (with_bias ? bias[c] : 0.0), &params);
                    } else {
                        want = ref[idx];
                    }
                    if (!close_enough(dst[idx], want, ksize) || dst[idx] != dst[idx]) {
                        bad = 1;
                        worst = fmax(worst, fabs(dst[idx] - want));
                    }
                }
            }
        }
        if (bad) {
            g_failed++;
            printf("FAIL dwconv %s channels=%zu %s bias=%d worst |diff|=%g\n", cfgs[ci]->name,
                   channels, desc, with_bias, worst);
        } else {
            g_passed++;
        }
    }
    free(in); free(w); free(bias); free(ref); free(out);
}

static void test_dwconv(void) {
    const ep_f32_dwconv2d_config* cfgs[8];
    const size_t ncfg = ep_f32_dwconv2d_list_configs(cfgs, 8);
    for (int it = 0; it < 600; it++) test_dwconv_case(cfgs, ncfg, 0, 0);
    for (int it = 0; it < 200; it++) test_dwconv_case(cfgs, ncfg, 1, 0);
    for (int it = 0; it < 20; it++) test_dwconv_case(cfgs, ncfg, 0, 1);
    for (int it = 0; it < 20; it++) test_dwconv_case(cfgs, ncfg, 1, 1);
    // The dispatcher must be the last (preferred) listed variant.
    if (strcmp(ep_f32_dwconv2d_name(), cfgs[ncfg - 1]->name) == 0) {
        g_passed++;
    } else {
        g_failed++;
        printf("FAIL dwconv selected %s is not the preferred listed variant\n", ep_f32_dwconv2d_name());
    }
}

// ---------------------------------------------------------------------------------------------
// f32 sparse (CSR) x dense

static void test_spmm_csr_case(const ep_f32_spmm_csr_config** cfgs, size_t ncfg) {
    static const double sparsities[] = {0.0, 0.3, 0.5, 0.7, 0.9, 0.99, 1.0};
    const size_t rows = rnd_range(1, 70), cols = rnd_range(1, 300), batch = rnd_range(1, 4);
    const double sparsity = sparsities[rnd() % 7];
    const size_t ldx = cols + rnd_range(0, 3), ldy = rows + rnd_range(0, 3);
    float* w = xmalloc(sizeof(float) * rows * cols);
    float* x = xmalloc(sizeof(float) * batch * ldx);
    float* bias = rnd() % 2 ? xmalloc(sizeof(float) * rows) : NULL;
    float* y = xmalloc(sizeof(float) * batch * ldy);
    for (size_t i = 0; i < rows * cols; i++) w[i] = (rnd() % 10000) < sparsity * 10000 ? 0.0f : rnd_float();
    fill(x, batch * ldx);
    if (bias) fill(bias, rows);
    ep_f32_minmax_params p = {-INFINITY, INFINITY};
    if (rnd() % 3 == 0) { p.min = -0.5f; p.max = 0.5f; }
    const size_t nnz = ep_f32_csr_count_nonzeros(rows, cols, w, cols, 1);
    uint32_t* row_ptr = xmalloc(sizeof(uint32_t) * (rows + 1));
    uint16_t* col_idx = xmalloc(sizeof(uint16_t) * (nnz + 1));
    float* values = xmalloc(sizeof(float) * (nnz + 1));
    ep_f32_csr_pack(rows, cols, w, cols, 1, row_ptr, col_idx, values);
    const ep_f32_csr_matrix m = {rows, cols, row_ptr, col_idx, values};
    size_t where = 0;
    if (ep_f32_csr_validate(&m, nnz, &where) != 0) {
        g_failed++;
        printf("FAIL csr validate rejects a packed matrix %zux%zu\n", rows, cols);
    }
    for (size_t c = 0; c < ncfg; c++) {
        for (size_t i = 0; i < batch * ldy; i++) y[i] = kSentinel;
        cfgs[c]->ukernel(&m, batch, x, ldx, y, ldy, bias, &p);
        int ok = 1;
        for (size_t b = 0; b < batch && ok; b++) {
            for (size_t n = 0; n < ldy && ok; n++) {
                if (n >= rows) {
                    if (y[b * ldy + n] != kSentinel) ok = 0;
                    continue;
                }
                double want = bias ? bias[n] : 0.0;
                for (size_t k = 0; k < cols; k++) want += (double)w[n * cols + k] * x[b * ldx + k];
                if (!close_enough(y[b * ldy + n], clampd(want, &p), cols)) ok = 0;
            }
        }
        if (ok) {
            g_passed++;
        } else {
            g_failed++;
            printf("FAIL %s rows %zu cols %zu batch %zu sparsity %.2f\n", cfgs[c]->name, rows, cols, batch, sparsity);
        }
    }
    free(w); free(x); free(bias); free(y); free(row_ptr); free(col_idx); free(values);
}

static void expect_csr_error(const char* what, const ep_f32_csr_matrix* m, size_t nnz, int code) {
    size_t where = 0;
    const int got = ep_f32_csr_validate(m, nnz, &where);
    if (got == code) {
        g_passed++;
    } else {
        g_failed++;
        printf("FAIL csr validate %s: got %d, want %d\n", what, got, code);
    }
}

static void test_spmm_csr(void) {
    const ep_f32_spmm_csr_config* cfgs[8];
    const size_t ncfg = ep_f32_spmm_csr_list_configs(cfgs, 8);
    printf("spmm csr variants:");
    for (size_t i = 0; i < ncfg; i++) printf(" %s", cfgs[i]->name);
    printf("\n");
    for (int it = 0; it < 300; it++) test_spmm_csr_case(cfgs, ncfg);
    if (strcmp(ep_f32_spmm_csr_get_config()->name, cfgs[ncfg - 1]->name) == 0) {
        g_passed++;
    } else {
        g_failed++;
        printf("FAIL spmm csr selected %s is not the preferred listed variant\n", ep_f32_spmm_csr_get_config()->name);
    }
    // Corrupt arrays are rejected with the right code.
    uint32_t rp[4] = {0, 2, 3, 5};
    uint16_t ci[5] = {0, 3, 1, 2, 3};
    const float vals[5] = {1, 2, 3, 4, 5};
    ep_f32_csr_matrix m = {3, 4, rp, ci, vals};
    expect_csr_error("consistent", &m, 5, 0);
    rp[0] = 1;
    expect_csr_error("row_ptr[0] != 0", &m, 5, 1);
    rp[0] = 0; rp[2] = 1;
    expect_csr_error("decreasing row_ptr", &m, 5, 2);
    rp[2] = 3;
    expect_csr_error("row_ptr[rows] != nnz", &m, 6, 3);
    ci[4] = 4;
    expect_csr_error("column out of range", &m, 5, 4);
    // 16-bit indices cannot address more than 65536 columns.
    const float one = 1.0f;
    uint32_t rp1[2];
    if (ep_f32_csr_pack(1, 70000, &one, 0, 0, rp1, NULL, NULL) == -1) {
        g_passed++;
    } else {
        g_failed++;
        printf("FAIL csr pack accepted 70000 columns\n");
    }
}

int main(void) {
    const ep_cpu_features* f = ep_cpu_get_features();
    const ep_f32_gemm_config* cfgs[16];
    const size_t ncfg = ep_f32_gemm_list_configs(cfgs, 16);
    printf("cpu: sse4_1=%d avx2=%d fma=%d neon=%d neon_dotprod=%d\n", f->sse4_1, f->avx2, f->fma,
           f->neon, f->neon_dotprod);
    printf("gemm variants:");
    for (size_t i = 0; i < ncfg; i++) printf(" %s", cfgs[i]->name);
    printf("\ngemm selected: %s\ndwconv selected: %s\n", ep_f32_gemm_get_config()->name,
           ep_f32_dwconv2d_name());
    test_gemm();
    test_conv();
    test_dwconv();
    test_spmm_csr();
    printf("%zu passed, %zu failed\n", g_passed, g_failed);
    return g_failed == 0 ? 0 : 1;
}
