// NEON dot product (ARMv8.2 SDOT) "dense" int8 Linear: uint8 x is read as int8 (x ^ 0x80,
// bias_flip holds the matching correction); per row and 16 inputs one SDOT into the row's int32
// accumulator; 4 rows x 2 batch rows per step; pairwise adds fold the rows at the end.
#include "simd.h"

#if EP_ARCH_ARM64

#define EP_TARGET __attribute__((target("arch=armv8.2-a+dotprod")))

EP_TARGET void ep_qs8_linear_dense_minmax_ukernel_4x16__neondot(
    const void* packed, size_t row_begin, size_t row_end, size_t batch, const void* x, size_t ldx,
    void* y, size_t ldy, const ep_qs8_output_params* params) {
    ep_qs8_linear_header h;
    memcpy(&h, packed, sizeof h);
    const size_t cols = h.cols, chunks = (cols + 15) / 16, full = cols / 16;
    const ep_qs8_layout l = ep_qs8_layout_of(0, h.rows, cols, 0);
    const int32_t* bias = EP_QS8_AT(int32_t, packed, l.bias_flip);
    const float* mult = EP_QS8_AT(float, packed, l.mult);
    const int8_t* values = EP_QS8_AT(int8_t, packed, l.values);
    const ep_qs8_requant rq = ep_qs8_requant_of(params);
    const int8x16_t flip = vdupq_n_s8(h.x_unsigned ? (int8_t)-128 : 0);
    for (size_t n0 = row_begin; n0 < row_end; n0 += 4) {
        const size_t nr = row_end - n0 < 4 ? row_end - n0 : 4;
        const int8_t* wg = values + (n0 / 4) * chunks * 64;
        const int32x4_t bias4 = vld1q_s32(bias + n0);
        size_t b = 0;
        for (; b + 2 <= batch; b += 2) {
            const int8_t* xb0 = (const int8_t*)x + b * ldx;
            const int8_t* xb1 = xb0 + ldx;
            int32x4_t a0 = vdupq_n_s32(0), a1 = a0, a2 = a0, a3 = a0;
            int32x4_t c0 = a0, c1 = a0, c2 = a0, c3 = a0;
            const int8_t* w = wg;
            for (size_t c = 0; c < chunks; c++, w += 64) {
                int8x16_t x0, x1;
                if (c < full) {
                    x0 = vld1q_s8(xb0 + 16 * c);
                    x1 = vld1q_s8(xb1 + 16 * c);
                } else {
                    int8_t t0[16] = {0}, t1[16] = {0};
                    memcpy(t0, xb0 + 16 * full, cols - 16 * full);
                    memcpy(t1, xb1 + 16 * full, cols - 16 * full);
                    x0 = vld1q_s8(t0);
                    x1 = vld1q_s8(t1);
                }
                x0 = veorq_s8(x0, flip);
                x1 = veorq_s8(x1, flip);
                const int8x16_t w0 = vld1q_s8(w), w1 = vld1q_s8(w + 16);
                const int8x16_t w2 = vld1q_s8(w + 32), w3 = vld1q_s8(w + 48);
                a0 = vdotq_s32(a0, w0, x0);
                a1 = vdotq_s32(a1, w1, x0);
                a2 = vdotq_s32(a2, w2, x0);
                a3 = vdotq_s32(a3, w3, x0);
                c0 = vdotq_s32(c0, w0, x1);
                c1 = vdotq_s32(c1, w1, x1);
                c2 = vdotq_s32(c2, w2, x1);
                c3 = vdotq_s32(c3, w3, x1);
            }
            const int32x4_t acc0 = vaddq_s32(vpaddq_s32(vpaddq_s32(a0, a1), vpaddq_s32(a2, a3)), bias4);
            const int32x4_t acc1 = vaddq_s32(vpaddq_s32(vpaddq_s32(c0, c1), vpaddq_s32(c2, c3)), bias4);
            ep_qs8_requant_store4_neon(acc0, mult + n0, &rq, (uint8_t*)y + b * ldy + n0, nr);
            ep_qs8_requant_store4_neon(acc1, mult + n0, &rq, (uint8_t*)y + (b + 1) * ldy + n0, nr);
        }
        if (b < batch) {
            const int8_t* xb = (const int8_t*)x + b * ldx;
            int32x4_t a0 = vdupq_n_s32(0), a1 = a0, a2 = a0, a3 = a0;
            const int8_t* w = wg;
            for (size_t c = 0; c < chunks; c++, w += 64) {
                int8x16_t xv;
                if (c < full) {
                    xv = vld1q_s8(xb + 16 * c);
                } else {
                    int8_t t[16] = {0};
                    memcpy(t, xb + 16 * full, cols - 16 * full);
                    xv = vld1q_s8(t);
                }
                xv = veorq_s8(xv, flip);
                a0 = vdotq_s32(a0, vld1q_s8(w), xv);
                a1 = vdotq_s32(a1, vld1q_s8(w + 16), xv);
                a2 = vdotq_s32(a2, vld1q_s8(w + 32), xv);
                a3 = vdotq_s32(a3, vld1q_s8(w + 48), xv);
            }
            const int32x4_t acc = vaddq_s32(vpaddq_s32(vpaddq_s32(a0, a1), vpaddq_s32(a2, a3)), bias4);
            ep_qs8_requant_store4_neon(acc, mult + n0, &rq, (uint8_t*)y + b * ldy + n0, nr);
        }
    }
}
#endif
