// f32 GEMM: every variant against the scalar reference, the reference against doubles.
#include "test_support.h"

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

void test_f32_gemm(void) {
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

