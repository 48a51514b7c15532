// SSE4.1 "nm2:4" kernel: 8 output rows per step (two vectors of 4), one group of four inputs per
// inner step. Each byte of a group's 32-bit meta word holds the 2-bit columns of 4 rows of one
// slot (slot 0 rows 0-3, rows 4-7, slot 1 rows 0-3, rows 4-7); a 256-entry table (4 KB) maps the
// byte to pshufb (SSSE3) byte indices that pick those columns from x[4g .. 4g+3]. Multiply, then
// add (no FMA) into four accumulators.
#include "ukernels.h"

#if EP_ARCH_X86_64
#include <immintrin.h>
#include <math.h>
#include <string.h>

// k_ctl[b]: for lane l (0..3), bytes 4c .. 4c+3 with c = (b >> 2l) & 3 (the float x[c]).
#define CTL_L(b, l) (uint8_t)(4 * (((b) >> (2 * (l))) & 3)), (uint8_t)(4 * (((b) >> (2 * (l))) & 3) + 1), \
                    (uint8_t)(4 * (((b) >> (2 * (l))) & 3) + 2), (uint8_t)(4 * (((b) >> (2 * (l))) & 3) + 3)
#define CTL_1(b) {CTL_L(b, 0), CTL_L(b, 1), CTL_L(b, 2), CTL_L(b, 3)}
#define CTL_4(b) CTL_1(b), CTL_1((b) + 1), CTL_1((b) + 2), CTL_1((b) + 3)
#define CTL_16(b) CTL_4(b), CTL_4((b) + 4), CTL_4((b) + 8), CTL_4((b) + 12)
#define CTL_64(b) CTL_16(b), CTL_16((b) + 16), CTL_16((b) + 32), CTL_16((b) + 48)
static const uint8_t k_ctl[256][16] __attribute__((aligned(16))) = {
    CTL_64(0), CTL_64(64), CTL_64(128), CTL_64(192)};

#define EP_SSE41 __attribute__((target("sse4.1"), always_inline)) static inline

// The four inputs of x0 that meta byte `byte` selects for 4 rows.
EP_SSE41 __m128 pick(__m128i x0, unsigned byte) {
    return _mm_castsi128_ps(_mm_shuffle_epi8(x0, _mm_load_si128((const __m128i*)k_ctl[byte])));
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
void ep_f32_linear_nm2x4_minmax_ukernel_8x4__sse41(const void* packed, size_t row_begin,
                                                   size_t row_end, size_t batch, const float* x,
                                                   size_t ldx, float* y, size_t ldy,
                                                   const float* bias,
                                                   const ep_f32_minmax_params* params) {
    const ep_f32_nm_header* h = packed;
    const unsigned char* blob = packed;
    const size_t groups = h->groups, cols = h->cols, full = cols / 4;
    const float* val = (const float*)(blob + h->off_val);
    const uint8_t* meta = blob + h->off_meta;
    const __m128 vlo = _mm_set1_ps(params != NULL ? params->min : -INFINITY);
    const __m128 vhi = _mm_set1_ps(params != NULL ? params->max : INFINITY);
    for (size_t r0 = row_begin; r0 < row_end; r0 += 8) {
        const size_t p = r0 / 8;
        const size_t count = row_end - r0 < 8 ? row_end - r0 : 8;
        for (size_t b = 0; b < batch; b++) {
            const float* xb = x + b * ldx;
            __m128 a0 = _mm_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
            const float* v = val + p * groups * 16;
            const uint8_t* m = meta + p * groups * 4;
            for (size_t g = 0; g < groups; g++) {
                __m128i x0;
                if (g < full) {
                    x0 = _mm_castps_si128(_mm_loadu_ps(xb + 4 * g));
                } else {  // partial last group: the inputs past cols read as zeros
                    float t[4] = {0.0f, 0.0f, 0.0f, 0.0f};
                    for (size_t c = 4 * g; c < cols; c++) t[c - 4 * g] = xb[c];
                    x0 = _mm_castps_si128(_mm_loadu_ps(t));
                }
                a0 = _mm_add_ps(a0, _mm_mul_ps(_mm_load_ps(v), pick(x0, m[0])));
                a1 = _mm_add_ps(a1, _mm_mul_ps(_mm_load_ps(v + 4), pick(x0, m[1])));
                a2 = _mm_add_ps(a2, _mm_mul_ps(_mm_load_ps(v + 8), pick(x0, m[2])));
                a3 = _mm_add_ps(a3, _mm_mul_ps(_mm_load_ps(v + 12), pick(x0, m[3])));
                v += 16;
                m += 4;
            }
            store8(_mm_add_ps(a0, a2), _mm_add_ps(a1, a3), bias != NULL ? bias + r0 : NULL, count,
                   vlo, vhi, y + b * ldy + r0);
        }
    }
}
#endif
