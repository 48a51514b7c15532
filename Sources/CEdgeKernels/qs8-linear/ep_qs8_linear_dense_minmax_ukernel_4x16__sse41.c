// SSE4.1 "dense" int8 Linear: per 64-byte chunk (4 rows x 16 inputs) x is widened to int16 once
// and each row's weights are sign-extended and multiplied with PMADDWD (exact: |w*x| < 2^15);
// one int32 accumulator per row, reduced with PHADDD at the end.
#include "simd.h"

#if EP_ARCH_X86_64

#define EP_TARGET __attribute__((target("sse4.1")))
#define EP_INLINE static inline __attribute__((always_inline, target("sse4.1")))

EP_INLINE __m128i widen_x(const uint8_t* p, int x_unsigned) {
    const __m128i v = _mm_loadl_epi64((const __m128i*)p);
    return x_unsigned ? _mm_cvtepu8_epi16(v) : _mm_cvtepi8_epi16(v);
}

EP_INLINE __m128i row_dot(__m128i acc, const int8_t* w, __m128i xl, __m128i xh) {
    const __m128i wl = _mm_cvtepi8_epi16(_mm_loadl_epi64((const __m128i*)w));
    const __m128i wh = _mm_cvtepi8_epi16(_mm_loadl_epi64((const __m128i*)(w + 8)));
    return _mm_add_epi32(acc, _mm_add_epi32(_mm_madd_epi16(wl, xl), _mm_madd_epi16(wh, xh)));
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
        for (size_t b = 0; b < batch; b++) {
            const uint8_t* xb = (const uint8_t*)x + b * ldx;
            __m128i a0 = _mm_setzero_si128(), a1 = a0, a2 = a0, a3 = a0;
            const int8_t* w = wg;
            for (size_t c = 0; c < full; c++, w += 64) {
                const __m128i xl = widen_x(xb + 16 * c, x_unsigned);
                const __m128i xh = widen_x(xb + 16 * c + 8, x_unsigned);
                a0 = row_dot(a0, w, xl, xh);
                a1 = row_dot(a1, w + 16, xl, xh);
                a2 = row_dot(a2, w + 32, xl, xh);
                a3 = row_dot(a3, w + 48, xl, xh);
            }
            if (full < chunks) {
                uint8_t tail[16] = {0};
                memcpy(tail, xb + 16 * full, cols - 16 * full);
                const __m128i xl = widen_x(tail, x_unsigned), xh = widen_x(tail + 8, x_unsigned);
                a0 = row_dot(a0, w, xl, xh);
                a1 = row_dot(a1, w + 16, xl, xh);
                a2 = row_dot(a2, w + 32, xl, xh);
                a3 = row_dot(a3, w + 48, xl, xh);
            }
            __m128i acc = _mm_hadd_epi32(_mm_hadd_epi32(a0, a1), _mm_hadd_epi32(a2, a3));
            acc = _mm_add_epi32(acc, _mm_loadu_si128((const __m128i*)(bias + n0)));
            ep_qs8_requant_store4_sse2(acc, mult + n0, &rq, (uint8_t*)y + b * ldy + n0, nr);
        }
    }
}

EP_TARGET void ep_qs8_linear_dense_minmax_ukernel_4x16__sse41(
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
