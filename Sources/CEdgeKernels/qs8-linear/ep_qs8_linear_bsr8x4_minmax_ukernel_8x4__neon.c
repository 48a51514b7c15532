// NEON (ARMv8.0) "bsr8x4" int8 Linear: each half of a stored 8 x 4 block holds the 8 rows' weight
// pairs for two columns; against the input pair broadcast to every 16-bit lane (uint8 x read as
// int8 via x ^ 0x80, bias_flip holds the matching correction) SMULL / SMULL2 give rows 0-3 and 4-7
// (exact in int16) and SADALP pair-sums each row's two columns into its own int32 lane: no
// horizontal reduction. The two halves accumulate separately (four independent chains).
#include "simd.h"

#if EP_ARCH_ARM64

static inline int8x16_t dup_pair(uint16_t v, int8x16_t flip) {
    return veorq_s8(vreinterpretq_s8_u16(vdupq_n_u16(v)), flip);
}

/// One block: half a (columns 0-1) into a_lo / a_hi, half c (columns 2-3) into c_lo / c_hi.
static inline void block(int32x4_t acc[4], const int8_t* blk, uint32_t x4, int8x16_t flip) {
    const int8x16_t wa = vld1q_s8(blk), wc = vld1q_s8(blk + 16);
    const int8x16_t xa = dup_pair((uint16_t)x4, flip), xc = dup_pair((uint16_t)(x4 >> 16), flip);
    acc[0] = vpadalq_s16(acc[0], vmull_s8(vget_low_s8(wa), vget_low_s8(xa)));
    acc[1] = vpadalq_s16(acc[1], vmull_high_s8(wa, xa));
    acc[2] = vpadalq_s16(acc[2], vmull_s8(vget_low_s8(wc), vget_low_s8(xc)));
    acc[3] = vpadalq_s16(acc[3], vmull_high_s8(wc, xc));
}

void ep_qs8_linear_bsr8x4_minmax_ukernel_8x4__neon(const void* packed, size_t row_begin,
                                                   size_t row_end, size_t batch, const void* x,
                                                   size_t ldx, void* y, size_t ldy,
                                                   const ep_qs8_output_params* params) {
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
            int32x4_t acc[4] = {vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0)};
            for (size_t j = p0; j < pe; j++)
                block(acc, values + 32 * j, ep_qs8_load4(xb + 4 * (size_t)idx[j]), flip);
            if (pe < p1) {
                uint32_t t = 0;
                memcpy(&t, xb + 4 * last_col, rem);
                block(acc, values + 32 * pe, t, flip);
            }
            uint8_t* yb = (uint8_t*)y + b * ldy + n0;
            ep_qs8_requant_store4_neon(vaddq_s32(vaddq_s32(acc[0], acc[2]), bias_lo), mult + n0, &rq,
                                       yb, nr < 4 ? nr : 4);
            if (nr > 4)
                ep_qs8_requant_store4_neon(vaddq_s32(vaddq_s32(acc[1], acc[3]), bias_hi), mult + n0 + 4,
                                           &rq, yb + 4, nr - 4);
        }
    }
}
#endif
