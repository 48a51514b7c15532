// NEON (ARMv8.0) "bsr4x4" int8 Linear: per stored 4 x 4 block the 4 inputs are broadcast (uint8 x
// read as int8 via x ^ 0x80, bias_flip holds the matching correction); SMULL / SMULL2 give the
// products of rows 0-1 and 2-3 (exact in int16), SADALP pair-sums them into int32, and one
// pairwise add folds the rows at the end. Two blocks per step.
#include "simd.h"

#if EP_ARCH_ARM64

static inline void block(int32x4_t* a01, int32x4_t* a23, const int8_t* blk, int8x16_t xd) {
    const int8x16_t w = vld1q_s8(blk);
    *a01 = vpadalq_s16(*a01, vmull_s8(vget_low_s8(w), vget_low_s8(xd)));
    *a23 = vpadalq_s16(*a23, vmull_high_s8(w, xd));
}

static inline int8x16_t dup_x4(uint32_t v, int8x16_t flip) {
    return veorq_s8(vreinterpretq_s8_u32(vdupq_n_u32(v)), flip);
}

void ep_qs8_linear_bsr4x4_minmax_ukernel_4x4__neon(const void* packed, size_t row_begin,
                                                   size_t row_end, size_t batch, const void* x,
                                                   size_t ldx, void* y, size_t ldy,
                                                   const ep_qs8_output_params* params) {
    ep_qs8_linear_header h;
    memcpy(&h, packed, sizeof h);
    const size_t cols = h.cols, last_col = cols / 4, rem = cols % 4;
    const ep_qs8_layout l = ep_qs8_layout_of(1, h.rows, cols, h.blocks);
    const int32_t* bias = EP_QS8_AT(int32_t, packed, l.bias_flip);
    const float* mult = EP_QS8_AT(float, packed, l.mult);
    const uint32_t* ptr = EP_QS8_AT(uint32_t, packed, l.ptr);
    const uint16_t* idx = EP_QS8_AT(uint16_t, packed, l.idx);
    const int8_t* values = EP_QS8_AT(int8_t, packed, l.values);
    const ep_qs8_requant rq = ep_qs8_requant_of(params);
    const int8x16_t flip = vdupq_n_s8(h.x_unsigned ? (int8_t)-128 : 0);
    for (size_t n0 = row_begin; n0 < row_end; n0 += 4) {
        const size_t nr = row_end - n0 < 4 ? row_end - n0 : 4;
        const size_t g = n0 / 4, p0 = ptr[g], p1 = ptr[g + 1];
        // Blocks are ascending: only the last may cover the partial column block.
        const size_t pe = rem != 0 && p1 > p0 && idx[p1 - 1] == last_col ? p1 - 1 : p1;
        const int32x4_t bias4 = vld1q_s32(bias + n0);
        for (size_t b = 0; b < batch; b++) {
            const uint8_t* xb = (const uint8_t*)x + b * ldx;
            int32x4_t a01 = vdupq_n_s32(0), a23 = a01, c01 = a01, c23 = a01;
            size_t j = p0;
            for (; j + 2 <= pe; j += 2) {
                block(&a01, &a23, values + 16 * j, dup_x4(ep_qs8_load4(xb + 4 * (size_t)idx[j]), flip));
                block(&c01, &c23, values + 16 * j + 16,
                      dup_x4(ep_qs8_load4(xb + 4 * (size_t)idx[j + 1]), flip));
            }
            if (j < pe) {
                block(&a01, &a23, values + 16 * j, dup_x4(ep_qs8_load4(xb + 4 * (size_t)idx[j]), flip));
            }
            if (pe < p1) {
                uint32_t t = 0;
                memcpy(&t, xb + 4 * last_col, rem);
                block(&a01, &a23, values + 16 * pe, dup_x4(t, flip));
            }
            const int32x4_t acc =
                vaddq_s32(vpaddq_s32(vaddq_s32(a01, c01), vaddq_s32(a23, c23)), bias4);
            ep_qs8_requant_store4_neon(acc, mult + n0, &rq, (uint8_t*)y + b * ldy + n0, nr);
        }
    }
}
#endif
