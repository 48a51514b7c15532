// f32 <-> uint8 activation conversion (qs8-linear/ep_qs8_convert.c) against ONNX's definitions:
// QuantizeLinear y = saturate(round_half_to_even(x / scale) + zp), DequantizeLinear
// y = (x - zp) * scale. Exact expected values, so the same on x86 and under qemu-aarch64.
#include "test_support.h"

#include <math.h>

void test_qs8_convert(void) {
    const float x[] = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 1000.0f, -1000.0f, 3.49f, NAN, INFINITY, -INFINITY, 0.0f};
    const uint8_t want[] = {10, 12, 12, 10, 8, 255, 0, 13, 10, 255, 0, 10};
    const size_t n = sizeof x / sizeof x[0];
    uint8_t q[sizeof x / sizeof x[0]];
    ep_f32_qu8_quantize_ukernel__scalar(n, x, 1.0f, 10, q);
    for (size_t i = 0; i < n; i++) check(q[i] == want[i], "qu8 quantize x[%zu]=%g: got %u, want %u", i, x[i], q[i], want[i]);
    // Division, not a multiply by the reciprocal: in f32, 1.55 / 0.1 = 15.499999 -> 15, while
    // 1.55 * (1 / 0.1) = 15.5 -> 16.
    const float y[] = {1.55f};
    uint8_t qy;
    ep_f32_qu8_quantize_ukernel__scalar(1, y, 0.1f, 0, &qy);
    check(qy == 15, "qu8 quantize divides by the scale: got %u, want 15", qy);
    // Every byte round-trips through dequantize and quantize.
    uint8_t all[256], back[256];
    float f[256];
    for (int i = 0; i < 256; i++) all[i] = (uint8_t)i;
    for (int zp = 0; zp < 256; zp += 51) {
        ep_qu8_f32_dequantize_ukernel__scalar(256, all, 0.0173f, zp, f);
        for (int i = 0; i < 256; i++) check(f[i] == (float)(i - zp) * 0.0173f, "qu8 dequantize %d zp %d", i, zp);
        ep_f32_qu8_quantize_ukernel__scalar(256, f, 0.0173f, zp, back);
        for (int i = 0; i < 256; i++) check(back[i] == all[i], "qu8 round trip %d zp %d: got %u", i, zp, back[i]);
    }
}

// Pixel-major uint8 im2col against a direct loop, on random geometries with padding, stride and
// dilation; and the dequantizing transpose.
void test_qs8_im2col(void) {
    for (int t = 0; t < 200; t++) {
        ep_conv2d_geometry g;
        if (!random_geometry(&g, t % 4 == 0, 1, 9, 1, 9)) continue;
        const size_t k = g.in_c * g.k_h * g.k_w, pixels = g.out_h * g.out_w;
        float* x = xmalloc(sizeof(float) * g.in_c * g.in_h * g.in_w);
        fill(x, g.in_c * g.in_h * g.in_w);
        uint8_t* y = xmalloc(pixels * k + 1);
        uint8_t* xq = xmalloc(g.in_c * g.in_h * g.in_w + 1);
        const int32_t zp = t % 256;
        ep_f32_qu8_quantize_ukernel__scalar(g.in_c * g.in_h * g.in_w, x, 0.0123f, zp, xq);
        ep_qu8_im2col_ukernel__scalar(&g, xq, (uint8_t)zp, y);
        for (size_t p = 0; p < pixels; p++) {
            const size_t oh = p / g.out_w, ow = p % g.out_w;
            for (size_t c = 0; c < g.in_c; c++) for (size_t i = 0; i < g.k_h; i++) for (size_t j = 0; j < g.k_w; j++) {
                const long ih = (long)(oh * g.stride_h + i * g.dil_h) - (long)g.pad_top;
                const long iw = (long)(ow * g.stride_w + j * g.dil_w) - (long)g.pad_left;
                uint8_t want = (uint8_t)zp;
                if (ih >= 0 && iw >= 0 && ih < (long)g.in_h && iw < (long)g.in_w)
                    ep_f32_qu8_quantize_ukernel__scalar(1, x + (c * g.in_h + (size_t)ih) * g.in_w + (size_t)iw, 0.0123f, zp, &want);
                const uint8_t got = y[p * k + (c * g.k_h + i) * g.k_w + j];
                check(got == want, "qu8 im2col case %d pixel %zu tap (%zu,%zu,%zu): got %u want %u", t, p, c, i, j, got, want);
            }
        }
        float* out = xmalloc(sizeof(float) * pixels * k + 4);
        ep_qu8_f32_dequantize_transpose_ukernel__scalar(pixels, k, y, 0.5f, zp, out);
        for (size_t p = 0; p < pixels; p++) for (size_t c = 0; c < k; c++)
            check(out[c * pixels + p] == (float)((int32_t)y[p * k + c] - zp) * 0.5f, "qu8 dequantize transpose case %d", t);
        free(x); free(xq); free(y); free(out);
    }
}
