// AVX2 "dense" int8 Linear: per 64-byte chunk (4 rows x 16 inputs) x is widened to 16 int16
// lanes once; each row's 16 weights are sign-extended (VPMOVSXBW) and multiplied with VPMADDWD
// (exact; VPMADDUBSW would saturate, so it is not used); 4 rows x 2 batch rows per step.
#include "simd.h"

#if EP_ARCH_X86_64

#define EP_TARGET __attribute__((target("avx2,fma")))
#define EP_INLINE static inline __attribute__((always_inline, target("avx2,fma")))

EP_INLINE __m256i widen_x(const uint8_t* p, int x_unsigned) {
    const __m128i v = _mm_loadu_si128((const __m128i*)p);
    return x_unsigned ? _mm256_cvtepu8_epi16(v) : _mm256_cvtepi8_epi16(v);
}

EP_INLINE __m256i widen_w(const int8_t* w) {
    return _mm256_cvtepi8_epi16(_mm_load_si128((const __m128i*)w));
}

EP_INLINE __m128i reduce4(__m256i a0, __m256i a1, __m256i a2, __m256i a3) {
    const __m256i s01 = _mm256_hadd_epi32(a0, a1);  // [a0 a0 a1 a1 | a0 a0 a1 a1]
    const __m256i s23 = _mm256_hadd_epi32(a2, a3);
    const __m256i s = _mm256_hadd_epi32(s01, s23);   // [a0 a1 a2 a3 | a0 a1 a2 a3] halves
    return _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
}

EP_INLINE void run(const void* packed, size_t row_begin, size_t row_end, size_t batch,
                   const void* x, size_t ldx, void* y, size_t ldy,
                   const ep_qs8_output_params* params, int x_unsigned) {
    ep_qs8_linear_header h;
    memcpy(&h, packed, sizeof h);
    const size_t cols = h.cols, chunks = (cols + 15) / 16, full = cols / 16;
    const ep_qs8_layout l = ep_qs8_layout_of(0, h.rows, cols, 0);
    const int32_t* bias = EP_QS8_AT(int32_t, packed, l.bias_raw);
    const float* mult = EP_QS8_AT(float, packed, l.mult);
    const int8_t* values = EP_QS8_AT(int8_t, packed, l.values);
    const ep_qs8_requant rq = ep_qs8_requant_of(params);
    for (size_t n0 = row_begin; n0 < row_end; n0 += 4) {
        const size_t nr = row_end - n0 < 4 ? row_end - n0 : 4;
        const int8_t* wg = values + (n0 / 4) * chunks * 64;
        const __m128i bias4 = _mm_loadu_si128((const __m128i*)(bias + n0));
        size_t b = 0;
        for (; b + 2 <= batch; b += 2) {
            const uint8_t* xb0 = (const uint8_t*)x + b * ldx;
            const uint8_t* xb1 = xb0 + ldx;
            __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
            __m256i c0 = a0, c1 = a0, c2 = a0, c3 = a0;
            const int8_t* w = wg;
            for (size_t c = 0; c < chunks; c++, w += 64) {
                __m256i x0, x1;
                if (c < full) {
                    x0 = widen_x(xb0 + 16 * c, x_unsigned);
                    x1 = widen_x(xb1 + 16 * c, x_unsigned);
                } else {
                    uint8_t t0[16] = {0}, t1[16] = {0};
                    memcpy(t0, xb0 + 16 * full, cols - 16 * full);
                    memcpy(t1, xb1 + 16 * full, cols - 16 * full);
                    x0 = widen_x(t0, x_unsigned);
                    x1 = widen_x(t1, x_unsigned);
                }
                const __m256i w0 = widen_w(w), w1 = widen_w(w + 16);
                const __m256i w2 = widen_w(w + 32), w3 = widen_w(w + 48);
                a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(w0, x0));
                a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(w1, x0));
                a2 = _mm256_add_epi32(a2, _mm256_madd_epi16(w2, x0));
                a3 = _mm256_add_epi32(a3, _mm256_madd_epi16(w3, x0));
                c0 = _mm256_add_epi32(c0, _mm256_madd_epi16(w0, x1));
                c1 = _mm256_add_epi32(c1, _mm256_madd_epi16(w1, x1));
                c2 = _mm256_add_epi32(c2, _mm256_madd_epi16(w2, x1));
                c3 = _mm256_add_epi32(c3, _mm256_madd_epi16(w3, x1));
            }
            ep_qs8_requant_store4_sse2(_mm_add_epi32(reduce4(a0, a1, a2, a3), bias4), mult + n0,
                                       &rq, (uint8_t*)y + b * ldy + n0, nr);
            ep_qs8_requant_store4_sse2(_mm_add_epi32(reduce4(c0, c1, c2, c3), bias4), mult + n0,
                                       &rq, (uint8_t*)y + (b + 1) * ldy + n0, nr);
        }
        if (b < batch) {
            const uint8_t* xb = (const uint8_t*)x + b * ldx;
            __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
            const int8_t* w = wg;
            for (size_t c = 0; c < chunks; c++, w += 64) {
                __m256i xv;
                if (c < full) {
                    xv = widen_x(xb + 16 * c, x_unsigned);
                } else {
                    uint8_t t[16] = {0};
                    memcpy(t, xb + 16 * full, cols - 16 * full);
                    xv = widen_x(t, x_unsigned);
                }
                a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(widen_w(w), xv));
                a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(widen_w(w + 16), xv));
                a2 = _mm256_add_epi32(a2, _mm256_madd_epi16(widen_w(w + 32), xv));
                a3 = _mm256_add_epi32(a3, _mm256_madd_epi16(widen_w(w + 48), xv));
            }
            ep_qs8_requant_store4_sse2(_mm_add_epi32(reduce4(a0, a1, a2, a3), bias4), mult + n0,
                                       &rq, (uint8_t*)y + b * ldy + n0, nr);
        }
    }
}

EP_TARGET void ep_qs8_linear_dense_minmax_ukernel_4x16__avx2(
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
