// Convolution as im2col into packed panels + GEMM, against naive nested loops.
#include "test_support.h"

// ---------------------------------------------------------------------------------------------
// im2col + GEMM convolution

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
    describe_geometry(desc, sizeof(desc), &g);
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

void test_f32_conv(void) {
    const ep_f32_gemm_config* cfgs[16];
    const size_t ncfg = ep_f32_gemm_list_configs(cfgs, 16);
    for (int it = 0; it < 400; it++) test_conv_case(cfgs, ncfg, 0, 0);
    for (int it = 0; it < 150; it++) test_conv_case(cfgs, ncfg, 1, 0);
    for (int it = 0; it < 6; it++) test_conv_case(cfgs, ncfg, 0, 1);
    for (int it = 0; it < 6; it++) test_conv_case(cfgs, ncfg, 1, 1);
}
