// SSE4.1 "nm4:8" kernel: 8 output rows per step (two vectors of 4), one group of eight inputs
// (two vectors) per inner step. For 4 rows of a slot, the 3-bit columns c are moved to the top of
// each lane by one multiply (pmulld by 2^(29 - 3*row)) and a shift, turned into byte offsets
// 4c .. 4c+3 (pshufb + add), and used by two pshufb (SSSE3): one on x[8g .. 8g+3] that zeroes the
// lanes with c >= 4 (offset + 0x70 sets bit 7), one on x[8g+4 .. 8g+7] that zeroes the lanes with
// c < 4 (offset - 16 sets bit 7); an or merges them. Multiply, then add (no FMA) into four
// accumulators.
#include "ukernels.h"

#if EP_ARCH_X86_64
#include <immintrin.h>
#include <math.h>
#include <string.h>

#define EP_SSE41 __attribute__((target("sse4.1"), always_inline)) static inline

// The inputs (of xlo = x[0..3], xhi = x[4..7]) that 4 rows' 3-bit fields select; word holds the
// fields at bits 3*row (broadcast to every lane), mul moves row l's field to bits 29..31.
EP_SSE41 __m128 pick(__m128i xlo, __m128i xhi, __m128i word, __m128i mul) {
    const __m128i c4 = _mm_slli_epi32(_mm_srli_epi32(_mm_mullo_epi32(word, mul), 29), 2);
    const __m128i off = _mm_add_epi8(
        _mm_shuffle_epi8(c4, _mm_setr_epi8(0, 0, 0, 0, 4, 4, 4, 4, 8, 8, 8, 8, 12, 12, 12, 12)),
        _mm_set1_epi32(0x03020100));
    const __m128i lo = _mm_shuffle_epi8(xlo, _mm_add_epi8(off, _mm_set1_epi8(0x70)));
    const __m128i hi = _mm_shuffle_epi8(xhi, _mm_sub_epi8(off, _mm_set1_epi8(16)));
    return _mm_castsi128_ps(_mm_or_si128(lo, hi));
}

EP_SSE41 __m128i word_at(const uint8_t* m) {
    uint32_t w;
    memcpy(&w, m, 4);
    return _mm_set1_epi32((int)w);
}

// y[0 .. count) = clamp(acc + bias[0 .. count)) for the 8 rows in lo (0-3) and hi (4-7);
// max(lo, v) / min(hi, v) keep a NaN sum, as the scalar reference does.
EP_SSE41 void store8(__m128 lo, __m128 hi, const float* bias, size_t count, __m128 vlo,
                     __m128 vhi, float* y) {
    if (count == 8) {
        if (bias != NULL) {
            lo = _mm_add_ps(lo, _mm_loadu_ps(bias));
            hi = _mm_add_ps(hi, _mm_loadu_ps(bias + 4));
        }
        _mm_storeu_ps(y, _mm_min_ps(vhi, _mm_max_ps(vlo, lo)));
        _mm_storeu_ps(y + 4, _mm_min_ps(vhi, _mm_max_ps(vlo, hi)));
        return;
    }
    float t[8];
    _mm_storeu_ps(t, lo);
    _mm_storeu_ps(t + 4, hi);
    const float fmin = _mm_cvtss_f32(vlo), fmax = _mm_cvtss_f32(vhi);
    for (size_t r = 0; r < count; r++) {
        float v = t[r] + (bias != NULL ? bias[r] : 0.0f);
        v = v < fmin ? fmin : v;
        v = v > fmax ? fmax : v;
        y[r] = v;
    }
}

__attribute__((target("sse4.1")))
void ep_f32_linear_nm4x8_minmax_ukernel_8x4__sse41(const void* packed, size_t row_begin,
                                                   size_t row_end, size_t batch, const float* x,
                                                   size_t ldx, float* y, size_t ldy,
                                                   const float* bias,
                                                   const ep_f32_minmax_params* params) {
    const ep_f32_nm_header* h = packed;
    const unsigned char* blob = packed;
    const size_t groups = h->groups, cols = h->cols, full = cols / 8;
    const float* val = (const float*)(blob + h->off_val);
    const uint8_t* meta = blob + h->off_meta;
    const __m128 vlo = _mm_set1_ps(params != NULL ? params->min : -INFINITY);
    const __m128 vhi = _mm_set1_ps(params != NULL ? params->max : INFINITY);
    const __m128i mul_lo = _mm_setr_epi32(1 << 29, 1 << 26, 1 << 23, 1 << 20);  // rows 0-3
    const __m128i mul_hi = _mm_setr_epi32(1 << 17, 1 << 14, 1 << 11, 1 << 8);   // rows 4-7
    for (size_t r0 = row_begin; r0 < row_end; r0 += 8) {
        const size_t p = r0 / 8;
        const size_t count = row_end - r0 < 8 ? row_end - r0 : 8;
        for (size_t b = 0; b < batch; b++) {
            const float* xb = x + b * ldx;
            __m128 a0 = _mm_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
            const float* v = val + p * groups * 32;
            const uint8_t* m = meta + p * groups * 12;
            for (size_t g = 0; g < groups; g++) {
                __m128i xlo, xhi;
                if (g < full) {
                    xlo = _mm_castps_si128(_mm_loadu_ps(xb + 8 * g));
                    xhi = _mm_castps_si128(_mm_loadu_ps(xb + 8 * g + 4));
                } else {  // partial last group: the inputs past cols read as zeros
                    float t[8] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
                    for (size_t c = 8 * g; c < cols; c++) t[c - 8 * g] = xb[c];
                    xlo = _mm_castps_si128(_mm_loadu_ps(t));
                    xhi = _mm_castps_si128(_mm_loadu_ps(t + 4));
                }
                for (size_t s = 0; s < 4; s += 2) {  // slots s and s+1: 4 rows x 2 halves each
                    const __m128i w0 = word_at(m + 3 * s), w1 = word_at(m + 3 * s + 3);
                    a0 = _mm_add_ps(a0, _mm_mul_ps(_mm_load_ps(v), pick(xlo, xhi, w0, mul_lo)));
                    a1 = _mm_add_ps(a1, _mm_mul_ps(_mm_load_ps(v + 4), pick(xlo, xhi, w0, mul_hi)));
                    a2 = _mm_add_ps(a2, _mm_mul_ps(_mm_load_ps(v + 8), pick(xlo, xhi, w1, mul_lo)));
                    a3 = _mm_add_ps(a3, _mm_mul_ps(_mm_load_ps(v + 12), pick(xlo, xhi, w1, mul_hi)));
                    v += 16;
                }
                m += 12;
            }
            store8(_mm_add_ps(a0, a2), _mm_add_ps(a1, a3), bias != NULL ? bias + r0 : NULL, count,
                   vlo, vhi, y + b * ldy + r0);
        }
    }
}
#endif
