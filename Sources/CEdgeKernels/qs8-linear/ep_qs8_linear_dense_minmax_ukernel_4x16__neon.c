// NEON (ARMv8.0) "dense" int8 Linear: uint8 x is read as int8 (x ^ 0x80, bias_flip holds the
// matching correction); per row and 16 inputs SMULL + SMULL2 (int8 x int8 fits int16 exactly)
// and two SADALP into the row's int32 accumulator; pairwise adds fold 4 rows at the end.
#include "simd.h"

#if EP_ARCH_ARM64

static inline int32x4_t row_dot(int32x4_t acc, const int8_t* w, int8x16_t xv) {
    const int8x16_t wv = vld1q_s8(w);
    acc = vpadalq_s16(acc, vmull_s8(vget_low_s8(wv), vget_low_s8(xv)));
    return vpadalq_s16(acc, vmull_high_s8(wv, xv));
}

void ep_qs8_linear_dense_minmax_ukernel_4x16__neon(const void* packed, size_t row_begin,
                                                   size_t row_end, size_t batch, const void* x,
                                                   size_t ldx, void* y, size_t ldy,
                                                   const ep_qs8_output_params* params) {
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
        for (size_t b = 0; b < batch; b++) {
            const int8_t* xb = (const int8_t*)x + b * ldx;
            int32x4_t a0 = vdupq_n_s32(0), a1 = a0, a2 = a0, a3 = a0;
            const int8_t* w = wg;
            for (size_t c = 0; c < full; c++, w += 64) {
                const int8x16_t xv = veorq_s8(vld1q_s8(xb + 16 * c), flip);
                a0 = row_dot(a0, w, xv);
                a1 = row_dot(a1, w + 16, xv);
                a2 = row_dot(a2, w + 32, xv);
                a3 = row_dot(a3, w + 48, xv);
            }
            if (full < chunks) {
                int8_t t[16] = {0};
                memcpy(t, xb + 16 * full, cols - 16 * full);
                const int8x16_t xv = veorq_s8(vld1q_s8(t), flip);
                a0 = row_dot(a0, w, xv);
                a1 = row_dot(a1, w + 16, xv);
                a2 = row_dot(a2, w + 32, xv);
                a3 = row_dot(a3, w + 48, xv);
            }
            const int32x4_t acc = vaddq_s32(vpaddq_s32(vpaddq_s32(a0, a1), vpaddq_s32(a2, a3)), bias4);
            ep_qs8_requant_store4_neon(acc, mult + n0, &rq, (uint8_t*)y + b * ldy + n0, nr);
        }
    }
}
#endif
