// NEON dot product (ARMv8.2 SDOT) "bsr8x4" int8 Linear: a 16-bit zip of a stored block's two
// halves (columns 0-1 and 2-3, row-ordered weight pairs) gives rows 0-3 and rows 4-7 as 4 x 4
// row-major tiles; each is one SDOT against the 4 inputs broadcast to every lane (uint8 x read as
// int8 via x ^ 0x80, bias_flip holds the matching correction): lane r accumulates row r, no
// horizontal reduction. Two blocks per step, two accumulator pairs.
#include "simd.h"

#if EP_ARCH_ARM64

#define EP_TARGET __attribute__((target("arch=armv8.2-a+dotprod")))

static inline int8x16_t dup_x4(uint32_t v, int8x16_t flip) {
    return veorq_s8(vreinterpretq_s8_u32(vdupq_n_u32(v)), flip);
}

EP_TARGET static inline void block(int32x4_t* lo, int32x4_t* hi, const int8_t* blk, int8x16_t xd) {
    const int16x8_t wa = vreinterpretq_s16_s8(vld1q_s8(blk));
    const int16x8_t wc = vreinterpretq_s16_s8(vld1q_s8(blk + 16));
    *lo = vdotq_s32(*lo, vreinterpretq_s8_s16(vzip1q_s16(wa, wc)), xd);
    *hi = vdotq_s32(*hi, vreinterpretq_s8_s16(vzip2q_s16(wa, wc)), xd);
}

EP_TARGET void ep_qs8_linear_bsr8x4_minmax_ukernel_8x4__neondot(
    const void* packed, size_t row_begin, size_t row_end, size_t batch, const void* x, size_t ldx,
    void* y, size_t ldy, const ep_qs8_output_params* params) {
    ep_qs8_linear_header h;
    memcpy(&h, packed, sizeof h);
    const size_t cols = h.cols, last_col = cols / 4, rem = cols % 4;
    const ep_qs8_layout l = ep_qs8_layout_of(EP_QS8_KIND_BSR8X4, h.rows, cols, h.blocks);
    const int32_t* bias = EP_QS8_AT(int32_t, packed, l.bias_flip);
    const float* mult = EP_QS8_AT(float, packed, l.mult);
    const uint32_t* ptr = EP_QS8_AT(uint32_t, packed, l.ptr);
    const uint16_t* idx = EP_QS8_AT(uint16_t, packed, l.idx);
    const int8_t* values = EP_QS8_AT(int8_t, packed, l.values);
    const ep_qs8_requant rq = ep_qs8_requant_of(params);
    const int8x16_t flip = vdupq_n_s8(h.x_unsigned ? (int8_t)-128 : 0);
    for (size_t n0 = row_begin; n0 < row_end; n0 += 8) {
        const size_t nr = row_end - n0 < 8 ? row_end - n0 : 8;
        const size_t g = n0 / 8, p0 = ptr[g], p1 = ptr[g + 1];
        // Blocks are ascending: only the last may cover the partial column block.
        const size_t pe = rem != 0 && p1 > p0 && idx[p1 - 1] == last_col ? p1 - 1 : p1;
        const int32x4_t bias_lo = vld1q_s32(bias + n0), bias_hi = vld1q_s32(bias + n0 + 4);
        for (size_t b = 0; b < batch; b++) {
            const uint8_t* xb = (const uint8_t*)x + b * ldx;
            int32x4_t lo = vdupq_n_s32(0), hi = lo, lo2 = lo, hi2 = lo;
            size_t j = p0;
            for (; j + 2 <= pe; j += 2) {
                block(&lo, &hi, values + 32 * j, dup_x4(ep_qs8_load4(xb + 4 * (size_t)idx[j]), flip));
                block(&lo2, &hi2, values + 32 * j + 32,
                      dup_x4(ep_qs8_load4(xb + 4 * (size_t)idx[j + 1]), flip));
            }
            if (j < pe) block(&lo, &hi, values + 32 * j, dup_x4(ep_qs8_load4(xb + 4 * (size_t)idx[j]), flip));
            if (pe < p1) {
                uint32_t t = 0;
                memcpy(&t, xb + 4 * last_col, rem);
                block(&lo, &hi, values + 32 * pe, dup_x4(t, flip));
            }
            uint8_t* yb = (uint8_t*)y + b * ldy + n0;
            ep_qs8_requant_store4_neon(vaddq_s32(vaddq_s32(lo, lo2), bias_lo), mult + n0, &rq, yb,
                                       nr < 4 ? nr : 4);
            if (nr > 4)
                ep_qs8_requant_store4_neon(vaddq_s32(vaddq_s32(hi, hi2), bias_hi), mult + n0 + 4, &rq,
                                           yb + 4, nr - 4);
        }
    }
}
#endif
