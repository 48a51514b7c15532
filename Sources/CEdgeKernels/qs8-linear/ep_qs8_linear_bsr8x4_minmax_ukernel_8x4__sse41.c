// SSE4.1 "bsr8x4" int8 Linear: each quarter of a stored 8 x 4 block (4 rows x 2 columns, row-
// ordered weight pairs) sign-extends into 8 int16, and PMADDWD (exact) against the broadcast int16
// input pair gives those 4 rows' partial sums in 4 int32 lanes: no horizontal reduction.
#include "simd.h"

#if EP_ARCH_X86_64

#define EP_TARGET __attribute__((target("sse4.1")))
#define EP_INLINE static inline __attribute__((always_inline, target("sse4.1")))

/// Rows 0-3 (lo) and 4-7 (hi) of one block against the input pairs xa = (x0, x1), xc = (x2, x3).
EP_INLINE void block(__m128i* lo, __m128i* hi, const int8_t* blk, __m128i xa, __m128i xc) {
    const __m128i a_lo = _mm_cvtepi8_epi16(_mm_loadl_epi64((const __m128i*)blk));
    const __m128i a_hi = _mm_cvtepi8_epi16(_mm_loadl_epi64((const __m128i*)(blk + 8)));
    const __m128i c_lo = _mm_cvtepi8_epi16(_mm_loadl_epi64((const __m128i*)(blk + 16)));
    const __m128i c_hi = _mm_cvtepi8_epi16(_mm_loadl_epi64((const __m128i*)(blk + 24)));
    *lo = _mm_add_epi32(*lo, _mm_add_epi32(_mm_madd_epi16(a_lo, xa), _mm_madd_epi16(c_lo, xc)));
    *hi = _mm_add_epi32(*hi, _mm_add_epi32(_mm_madd_epi16(a_hi, xa), _mm_madd_epi16(c_hi, xc)));
}

EP_INLINE void block_x(__m128i* lo, __m128i* hi, const int8_t* blk, uint32_t x4, int x_unsigned) {
    const __m128i b = _mm_cvtsi32_si128((int)x4);
    const __m128i w = x_unsigned ? _mm_cvtepu8_epi16(b) : _mm_cvtepi8_epi16(b);
    block(lo, hi, blk, _mm_shuffle_epi32(w, 0x00), _mm_shuffle_epi32(w, 0x55));
}

EP_INLINE void run(const void* packed, size_t row_begin, size_t row_end, size_t batch,
                   const void* x, size_t ldx, void* y, size_t ldy,
                   const ep_qs8_output_params* params, int x_unsigned) {
    ep_qs8_linear_header h;
    memcpy(&h, packed, sizeof h);
    const size_t cols = h.cols, last_col = cols / 4, rem = cols % 4;
    const ep_qs8_layout l = ep_qs8_layout_of(EP_QS8_KIND_BSR8X4, h.rows, cols, h.blocks);
    const int32_t* bias = EP_QS8_AT(int32_t, packed, l.bias_raw);
    const float* mult = EP_QS8_AT(float, packed, l.mult);
    const uint32_t* ptr = EP_QS8_AT(uint32_t, packed, l.ptr);
    const uint16_t* idx = EP_QS8_AT(uint16_t, packed, l.idx);
    const int8_t* values = EP_QS8_AT(int8_t, packed, l.values);
    const ep_qs8_requant rq = ep_qs8_requant_of(params);
    for (size_t n0 = row_begin; n0 < row_end; n0 += 8) {
        const size_t nr = row_end - n0 < 8 ? row_end - n0 : 8;
        const size_t g = n0 / 8, p0 = ptr[g], p1 = ptr[g + 1];
        // Blocks are ascending: only the last may cover the partial column block.
        const size_t pe = rem != 0 && p1 > p0 && idx[p1 - 1] == last_col ? p1 - 1 : p1;
        const __m128i bias_lo = _mm_loadu_si128((const __m128i*)(bias + n0));
        const __m128i bias_hi = _mm_loadu_si128((const __m128i*)(bias + n0 + 4));
        for (size_t b = 0; b < batch; b++) {
            const uint8_t* xb = (const uint8_t*)x + b * ldx;
            __m128i lo = _mm_setzero_si128(), hi = lo, lo2 = lo, hi2 = lo;
            size_t j = p0;
            for (; j + 2 <= pe; j += 2) {
                block_x(&lo, &hi, values + 32 * j, ep_qs8_load4(xb + 4 * (size_t)idx[j]), x_unsigned);
                block_x(&lo2, &hi2, values + 32 * j + 32, ep_qs8_load4(xb + 4 * (size_t)idx[j + 1]),
                        x_unsigned);
            }
            if (j < pe) block_x(&lo, &hi, values + 32 * j, ep_qs8_load4(xb + 4 * (size_t)idx[j]), x_unsigned);
            if (pe < p1) {
                uint32_t t = 0;
                memcpy(&t, xb + 4 * last_col, rem);
                block_x(&lo, &hi, values + 32 * pe, t, x_unsigned);
            }
            uint8_t* yb = (uint8_t*)y + b * ldy + n0;
            ep_qs8_requant_store4_sse2(_mm_add_epi32(_mm_add_epi32(lo, lo2), bias_lo), mult + n0, &rq,
                                       yb, nr < 4 ? nr : 4);
            if (nr > 4)
                ep_qs8_requant_store4_sse2(_mm_add_epi32(_mm_add_epi32(hi, hi2), bias_hi), mult + n0 + 4,
                                           &rq, yb + 4, nr - 4);
        }
    }
}

EP_TARGET void ep_qs8_linear_bsr8x4_minmax_ukernel_8x4__sse41(
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
