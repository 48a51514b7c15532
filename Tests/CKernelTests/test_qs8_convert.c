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
