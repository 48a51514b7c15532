// SSE4.1 kernel of format "dense" (16-row k-major panels), for x86-64 CPUs without AVX2+FMA.
// Per k: one broadcast input per batch row and four 4-wide multiply-adds per panel, eight
// independent accumulators in flight (SSE has 16 registers):
//   batch 1: 2 panels (32 rows) per step; a leftover panel splits k 2 ways;
//   batch >= 2: one panel and batch rows in pairs (each weight load serves both rows); a
//   leftover batch row splits k 2 ways.
#include "ukernels.h"

#if EP_ARCH_X86_64
#include <immintrin.h>
#include <math.h>

#define PW EP_F32_DENSE_PANEL
#define EP_SSE41 __attribute__((target("sse4.1"), always_inline)) static inline

// Stores 4 outputs (bias, clamp) for rows [n, n + valid) (valid may be < 4) of batch row y.
// max(lo, v) / min(hi, v) keep a NaN sum, as the scalar reference does.
EP_SSE41 void store4(float* y, size_t n, size_t valid, __m128 v, const float* bias, __m128 vlo,
                     __m128 vhi) {
    if (valid >= 4) {
        if (bias != NULL) v = _mm_add_ps(v, _mm_loadu_ps(bias + n));
        _mm_storeu_ps(y + n, _mm_min_ps(vhi, _mm_max_ps(vlo, v)));
    } else {
        float t[4];
        _mm_storeu_ps(t, v);
        const float lo = _mm_cvtss_f32(vlo), hi = _mm_cvtss_f32(vhi);
        for (size_t i = 0; i < valid; i++) {
            float o = t[i] + (bias != NULL ? bias[n + i] : 0.0f);
            o = o < lo ? lo : o;
            y[n + i] = o > hi ? hi : o;
        }
    }
}

// One step: NP panels starting at w (panel stride ps floats), NB batch rows, k split KU ways.
// Writes rows [n0, n_end) of the NP*16 rows this step covers. The 4*NP*NB*KU <= 8 accumulators
// are named variables (lane i: quarter i%4 of panel (i/4)%NP, batch row (i/4/NP)%NB, k phase
// i/(4*NP*NB)) so compilers keep them in registers; loads repeated across lanes are CSE'd.
#define LANE(i)                                                                                  \
    if ((i) < L) {                                                                               \
        const size_t q_ = (i) % 4, p_ = ((i) / 4) % NP, b_ = ((i) / (4 * NP)) % NB,              \
                     u_ = (i) / (4 * NP * NB);                                                   \
        c##i = _mm_add_ps(c##i, _mm_mul_ps(_mm_load_ps(w + p_ * ps + (k + u_) * PW + 4 * q_),    \
                                           _mm_load1_ps(x + b_ * ldx + k + u_)));                \
    }
EP_SSE41 void step(const float* w, size_t ps, size_t K, const float* x, size_t ldx, float* y,
                   size_t ldy, size_t n0, size_t n_end, const float* bias, __m128 vlo, __m128 vhi,
                   const size_t NB, const size_t NP, const size_t KU) {
    const size_t L = 4 * NP * NB * KU, L1 = 4 * NP * NB;  // live accumulators, <= 8
    __m128 c0 = _mm_setzero_ps(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
    size_t k = 0;
    for (; k + KU <= K; k += KU) {
        LANE(0) LANE(1) LANE(2) LANE(3) LANE(4) LANE(5) LANE(6) LANE(7)
    }
    __m128 r[8] = {c0, c1, c2, c3, c4, c5, c6, c7};
    for (size_t i = L1; i < L; i++) r[i % L1] = _mm_add_ps(r[i % L1], r[i]);
    for (; k < K; k++) {
        for (size_t i = 0; i < L1; i++) {
            const size_t q_ = i % 4, p_ = (i / 4) % NP, b_ = i / (4 * NP);
            r[i] = _mm_add_ps(r[i], _mm_mul_ps(_mm_load_ps(w + p_ * ps + k * PW + 4 * q_),
                                               _mm_load1_ps(x + b_ * ldx + k)));
        }
    }
    for (size_t i = 0; i < L1; i++) {
        const size_t q_ = i % 4, p_ = (i / 4) % NP, b_ = i / (4 * NP);
        const size_t n = n0 + p_ * PW + q_ * 4;
        if (n < n_end) store4(y + b_ * ldy, n, n_end - n, r[i], bias, vlo, vhi);
    }
}

__attribute__((target("sse4.1")))
void ep_f32_linear_dense_minmax_ukernel_32x1__sse41(const void* packed, size_t row_begin,
                                                    size_t row_end, size_t batch, const float* x,
                                                    size_t ldx, float* y, size_t ldy,
                                                    const float* bias,
                                                    const ep_f32_minmax_params* params) {
    const ep_f32_dense_header* h = (const ep_f32_dense_header*)packed;
    const size_t K = h->cols;
    const size_t ps = K * PW;
    const float* panels = (const float*)((const unsigned char*)packed + EP_F32_DENSE_HEADER);
    const __m128 vlo = _mm_set1_ps(params != NULL ? params->min : -INFINITY);
    const __m128 vhi = _mm_set1_ps(params != NULL ? params->max : INFINITY);
    size_t p = row_begin / PW;
    const size_t p_end = (row_end + PW - 1) / PW;
    if (batch == 1) {
        for (; p + 2 <= p_end; p += 2)
            step(panels + p * ps, ps, K, x, ldx, y, ldy, p * PW, row_end, bias, vlo, vhi, 1, 2, 1);
        if (p < p_end)
            step(panels + p * ps, ps, K, x, ldx, y, ldy, p * PW, row_end, bias, vlo, vhi, 1, 1, 2);
        return;
    }
    for (; p < p_end; p++) {
        const float* w = panels + p * ps;
        size_t b = 0;
        for (; b + 2 <= batch; b += 2)
            step(w, ps, K, x + b * ldx, ldx, y + b * ldy, ldy, p * PW, row_end, bias, vlo, vhi, 2, 1, 1);
        if (b < batch)
            step(w, ps, K, x + b * ldx, ldx, y + b * ldy, ldy, p * PW, row_end, bias, vlo, vhi, 1, 1, 2);
    }
}
#endif
