// AVX2 "bsr4x4" int8 Linear: a stored 4 x 4 block sign-extends into one ymm of 16 int16
// ([row0 | row1 | row2 | row3], 4 inputs each); the 4 inputs are broadcast and widened
// ([x0..x3] x 4) and VPMADDWD (exact) gives two partial sums per row. Four batch rows per pass.
#include "simd.h"

#if EP_ARCH_X86_64

#define EP_TARGET __attribute__((target("avx2,fma")))
#define EP_INLINE static inline __attribute__((always_inline, target("avx2,fma")))

EP_INLINE __m256i widen_x4(uint32_t v, int x_unsigned) {
    const __m128i b = _mm_set1_epi32((int)v);
    return x_unsigned ? _mm256_cvtepu8_epi16(b) : _mm256_cvtepi8_epi16(b);
}

EP_INLINE __m256i block(__m256i acc, const int8_t* blk, __m256i xd) {
    const __m256i w = _mm256_cvtepi8_epi16(_mm_load_si128((const __m128i*)blk));
    return _mm256_add_epi32(acc, _mm256_madd_epi16(w, xd));
}

/// [r0 r0 r1 r1 | r2 r2 r3 r3] pair sums -> [r0 r1 r2 r3].
EP_INLINE __m128i fold(__m256i a) {
    return _mm_hadd_epi32(_mm256_castsi256_si128(a), _mm256_extracti128_si256(a, 1));
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
        size_t b = 0;
        // Four batch rows per pass: each block is loaded and widened once for all four.
        for (; b + 4 <= batch; b += 4) {
            const uint8_t* x0 = (const uint8_t*)x + b * ldx;
            const uint8_t* x1 = x0 + ldx;
            const uint8_t* x2 = x1 + ldx;
            const uint8_t* x3 = x2 + ldx;
            __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
            for (size_t j = p0; j < pe; j++) {
                const __m256i w = _mm256_cvtepi8_epi16(_mm_load_si128((const __m128i*)(values + 16 * j)));
                const size_t k = 4 * (size_t)idx[j];
                a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(w, widen_x4(ep_qs8_load4(x0 + k), x_unsigned)));
                a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(w, widen_x4(ep_qs8_load4(x1 + k), x_unsigned)));
                a2 = _mm256_add_epi32(a2, _mm256_madd_epi16(w, widen_x4(ep_qs8_load4(x2 + k), x_unsigned)));
                a3 = _mm256_add_epi32(a3, _mm256_madd_epi16(w, widen_x4(ep_qs8_load4(x3 + k), x_unsigned)));
            }
            if (pe < p1) {
                uint32_t t0 = 0, t1 = 0, t2 = 0, t3 = 0;
                memcpy(&t0, x0 + 4 * last_col, rem);
                memcpy(&t1, x1 + 4 * last_col, rem);
                memcpy(&t2, x2 + 4 * last_col, rem);
                memcpy(&t3, x3 + 4 * last_col, rem);
                a0 = block(a0, values + 16 * pe, widen_x4(t0, x_unsigned));
                a1 = block(a1, values + 16 * pe, widen_x4(t1, x_unsigned));
                a2 = block(a2, values + 16 * pe, widen_x4(t2, x_unsigned));
                a3 = block(a3, values + 16 * pe, widen_x4(t3, x_unsigned));
            }
            uint8_t* yb = (uint8_t*)y + b * ldy + n0;
            ep_qs8_requant_store4_sse2(_mm_add_epi32(fold(a0), bias4), mult + n0, &rq, yb, nr);
            ep_qs8_requant_store4_sse2(_mm_add_epi32(fold(a1), bias4), mult + n0, &rq, yb + ldy, nr);
            ep_qs8_requant_store4_sse2(_mm_add_epi32(fold(a2), bias4), mult + n0, &rq, yb + 2 * ldy, nr);
            ep_qs8_requant_store4_sse2(_mm_add_epi32(fold(a3), bias4), mult + n0, &rq, yb + 3 * ldy, nr);
        }
        for (; b < batch; b++) {
            const uint8_t* xb = (const uint8_t*)x + b * ldx;
            // One block per iteration: the trip count varies per group, and a 2x unrolled loop
            // would add a second hard-to-predict exit branch.
            __m256i a = _mm256_setzero_si256();
            for (size_t j = p0; j < pe; j++) {
                a = block(a, values + 16 * j, widen_x4(ep_qs8_load4(xb + 4 * (size_t)idx[j]), x_unsigned));
            }
            if (pe < p1) {
                uint32_t t = 0;
                memcpy(&t, xb + 4 * last_col, rem);
                a = block(a, values + 16 * pe, widen_x4(t, x_unsigned));
            }
            ep_qs8_requant_store4_sse2(_mm_add_epi32(fold(a), bias4), mult + n0, &rq,
                                       (uint8_t*)y + b * ldy + n0, nr);
        }
    }
}

EP_TARGET void ep_qs8_linear_bsr4x4_minmax_ukernel_4x4__avx2(
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
