// Direct depthwise convolution: every variant against the reference, the reference against loops.
#include "test_support.h"

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
    describe_geometry(desc, sizeof(desc), &g);
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

void test_f32_dwconv(void) {
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
