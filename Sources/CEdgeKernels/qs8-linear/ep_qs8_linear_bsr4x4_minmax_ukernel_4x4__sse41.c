// SSE4.1 "bsr4x4" int8 Linear: per stored 4 x 4 block, the 4 inputs are widened to int16 and
// duplicated ([x0..x3, x0..x3]); the block's rows 0-1 and 2-3 are sign-extended and multiplied
// with PMADDWD (exact), giving pair sums per row that PHADDD folds at the end.
#include "simd.h"

#if EP_ARCH_X86_64

#define EP_TARGET __attribute__((target("sse4.1")))
#define EP_INLINE static inline __attribute__((always_inline, target("sse4.1")))

EP_INLINE __m128i widen_x4(uint32_t v, int x_unsigned) {
    const __m128i b = _mm_cvtsi32_si128((int)v);
    const __m128i w = x_unsigned ? _mm_cvtepu8_epi16(b) : _mm_cvtepi8_epi16(b);
    return _mm_unpacklo_epi64(w, w);
}

EP_INLINE void block(__m128i* a01, __m128i* a23, const int8_t* blk, __m128i xd) {
    const __m128i w01 = _mm_cvtepi8_epi16(_mm_loadl_epi64((const __m128i*)blk));
    const __m128i w23 = _mm_cvtepi8_epi16(_mm_loadl_epi64((const __m128i*)(blk + 8)));
    *a01 = _mm_add_epi32(*a01, _mm_madd_epi16(w01, xd));
    *a23 = _mm_add_epi32(*a23, _mm_madd_epi16(w23, xd));
}

EP_INLINE void run(const void* packed, size_t row_begin, size_t row_end, size_t batch,
                   const void* x, size_t ldx, void* y, size_t ldy,
                   const ep_qs8_output_params* params, int x_unsigned) {
    ep_qs8_linear_header h;
    memcpy(&h, packed, sizeof h);
    const size_t cols = h.cols, last_col = cols / 4, rem = cols % 4;
    const ep_qs8_layout l = ep_qs8_layout_of(1, h.rows, cols, h.blocks);
    const int32_t* bias = EP_QS8_AT(int32_t, packed, l.bias_raw);
    const float* mult = EP_QS8_AT(float, packed, l.mult);
    const uint32_t* ptr = EP_QS8_AT(uint32_t, packed, l.ptr);
    const uint16_t* idx = EP_QS8_AT(uint16_t, packed, l.idx);
    const int8_t* values = EP_QS8_AT(int8_t, packed, l.values);
    const ep_qs8_requant rq = ep_qs8_requant_of(params);
    for (size_t n0 = row_begin; n0 < row_end; n0 += 4) {
        const size_t nr = row_end - n0 < 4 ? row_end - n0 : 4;
        const size_t g = n0 / 4, p0 = ptr[g], p1 = ptr[g + 1];
        // Blocks are ascending: only the last may cover the partial column block.
        const size_t pe = rem != 0 && p1 > p0 && idx[p1 - 1] == last_col ? p1 - 1 : p1;
        const __m128i bias4 = _mm_loadu_si128((const __m128i*)(bias + n0));
        for (size_t b = 0; b < batch; b++) {
            const uint8_t* xb = (const uint8_t*)x + b * ldx;
            __m128i a01 = _mm_setzero_si128(), a23 = a01, c01 = a01, c23 = a01;
            size_t j = p0;
            for (; j + 2 <= pe; j += 2) {
                block(&a01, &a23, values + 16 * j, widen_x4(ep_qs8_load4(xb + 4 * (size_t)idx[j]), x_unsigned));
                block(&c01, &c23, values + 16 * j + 16,
                      widen_x4(ep_qs8_load4(xb + 4 * (size_t)idx[j + 1]), x_unsigned));
            }
            if (j < pe) {
                block(&a01, &a23, values + 16 * j, widen_x4(ep_qs8_load4(xb + 4 * (size_t)idx[j]), x_unsigned));
            }
            if (pe < p1) {
                uint32_t t = 0;
                memcpy(&t, xb + 4 * last_col, rem);
                block(&a01, &a23, values + 16 * pe, widen_x4(t, x_unsigned));
            }
            __m128i acc = _mm_hadd_epi32(_mm_add_epi32(a01, c01), _mm_add_epi32(a23, c23));
            acc = _mm_add_epi32(acc, bias4);
            ep_qs8_requant_store4_sse2(acc, mult + n0, &rq, (uint8_t*)y + b * ldy + n0, nr);
        }
    }
}

EP_TARGET void ep_qs8_linear_bsr4x4_minmax_ukernel_4x4__sse41(
    const void* packed, size_t row_begin, size_t row_end, size_t batch, const void* x, size_t ldx,
    void* y, size_t ldy, const ep_qs8_output_params* params) {
    ep_qs8_linear_header h;
    memcpy(&h, packed, sizeof h);
    if (h.x_unsigned) {
        run(packed, row_begin, row_end, batch, x, ldx, y, ldy, params, 1);
    } else {
        run(packed, row_begin, row_end, batch, x, ldx, y, ldy, params, 0);
    }
}
#endif
