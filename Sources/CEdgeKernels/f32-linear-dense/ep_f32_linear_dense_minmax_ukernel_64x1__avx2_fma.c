// AVX2+FMA kernel of format "dense" (16-row k-major panels). Per k: one broadcast input per batch
// row and two 8-wide FMAs per panel. Enough independent accumulators to hide FMA latency:
//   batch 1: 4 panels (64 rows, 8 accumulators) per step; 1..3 leftover panels split k 2 or 4 ways;
//   batch 2: 2 panels; batch >= 3: one panel and batch rows in chunks of 4 (the panel is re-read
//   from L1/L2 for the next chunk, not from memory).
#include "ukernels.h"

#if EP_ARCH_X86_64
#include <immintrin.h>
#include <math.h>

#define PW EP_F32_DENSE_PANEL

// Stores 8 outputs (bias, clamp) for rows [n, n + valid) (valid may be < 8) of batch row y.
__attribute__((target("avx2,fma"), always_inline)) static inline void store8(
    float* y, size_t n, size_t valid, __m256 v, const float* bias, __m256 vlo, __m256 vhi) {
    if (valid >= 8) {
        if (bias != NULL) v = _mm256_add_ps(v, _mm256_loadu_ps(bias + n));
        v = _mm256_min_ps(_mm256_max_ps(v, vlo), vhi);
        _mm256_storeu_ps(y + n, v);
    } else {
        float t[8];
        _mm256_storeu_ps(t, v);
        const float lo = _mm256_cvtss_f32(vlo), hi = _mm256_cvtss_f32(vhi);
        for (size_t i = 0; i < valid; i++) {
            float o = t[i] + (bias != NULL ? bias[n + i] : 0.0f);
            o = o < lo ? lo : o;
            y[n + i] = o > hi ? hi : o;
        }
    }
}

// One step: NP panels starting at w (panel stride ps floats), NB batch rows, k split KU ways.
// Writes rows [n0, n_end) of the NP*16 rows this step covers. The 2*NP*NB*KU <= 8 accumulators
// are named variables (c0..c7: lane i is half i%2 of panel (i/2)%NP, batch row (i/2/NP)%NB,
// k phase i/(2*NP*NB)) so compilers keep them in registers; loads repeated across lanes are CSE'd.
#define LANE_FMA(i)                                                                              \
    if ((i) < L) {                                                                               \
        const size_t h_ = (i) % 2, p_ = ((i) / 2) % NP, b_ = ((i) / (2 * NP)) % NB,              \
                     u_ = (i) / (2 * NP * NB);                                                   \
        c##i = _mm256_fmadd_ps(_mm256_load_ps(w + p_ * ps + (k + u_) * PW + 8 * h_),             \
                               _mm256_broadcast_ss(x + b_ * ldx + k + u_), c##i);                \
    }
__attribute__((target("avx2,fma"), always_inline)) static inline void step(
    const float* w, size_t ps, size_t K, const float* x, size_t ldx, float* y, size_t ldy,
    size_t n0, size_t n_end, const float* bias, __m256 vlo, __m256 vhi, const size_t NB,
    const size_t NP, const size_t KU) {
    const size_t L = 2 * NP * NB * KU;  // live accumulators, <= 8
    __m256 c0 = _mm256_setzero_ps(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
    size_t k = 0;
    for (; k + KU <= K; k += KU) {
        LANE_FMA(0) LANE_FMA(1) LANE_FMA(2) LANE_FMA(3) LANE_FMA(4) LANE_FMA(5) LANE_FMA(6) LANE_FMA(7)
    }
    __m256 r[8] = {c0, c1, c2, c3, c4, c5, c6, c7};
    for (size_t i = 2 * NP * NB; i < L; i++) r[i % (2 * NP * NB)] = _mm256_add_ps(r[i % (2 * NP * NB)], r[i]);
    for (; k < K; k++) {
        for (size_t i = 0; i < 2 * NP * NB; i++) {
            const size_t h_ = i % 2, p_ = (i / 2) % NP, b_ = i / (2 * NP);
            r[i] = _mm256_fmadd_ps(_mm256_load_ps(w + p_ * ps + k * PW + 8 * h_),
                                   _mm256_broadcast_ss(x + b_ * ldx + k), r[i]);
        }
    }
    for (size_t i = 0; i < 2 * NP * NB; i++) {
        const size_t h_ = i % 2, p_ = (i / 2) % NP, b_ = i / (2 * NP);
        const size_t n = n0 + p_ * PW + h_ * 8;
        if (n < n_end) store8(y + b_ * ldy, n, n_end - n, r[i], bias, vlo, vhi);
    }
}

__attribute__((target("avx2,fma")))
void ep_f32_linear_dense_minmax_ukernel_64x1__avx2_fma(const void* packed, size_t row_begin,
                                                       size_t row_end, size_t batch,
                                                       const float* x, size_t ldx, float* y,
                                                       size_t ldy, const float* bias,
                                                       const ep_f32_minmax_params* params) {
    const ep_f32_dense_header* h = (const ep_f32_dense_header*)packed;
    const size_t K = h->cols;
    const size_t ps = K * PW;
    const float* panels = (const float*)((const unsigned char*)packed + EP_F32_DENSE_HEADER);
    const __m256 vlo = _mm256_set1_ps(params != NULL ? params->min : -INFINITY);
    const __m256 vhi = _mm256_set1_ps(params != NULL ? params->max : INFINITY);
    size_t p = row_begin / PW;
    const size_t p_end = (row_end + PW - 1) / PW;
    if (batch == 1) {
        for (; p + 4 <= p_end; p += 4)
            step(panels + p * ps, ps, K, x, ldx, y, ldy, p * PW, row_end, bias, vlo, vhi, 1, 4, 1);
        for (; p + 2 <= p_end; p += 2)
            step(panels + p * ps, ps, K, x, ldx, y, ldy, p * PW, row_end, bias, vlo, vhi, 1, 2, 2);
        if (p < p_end) step(panels + p * ps, ps, K, x, ldx, y, ldy, p * PW, row_end, bias, vlo, vhi, 1, 1, 4);
        return;
    }
    if (batch == 2) {
        for (; p + 2 <= p_end; p += 2)
            step(panels + p * ps, ps, K, x, ldx, y, ldy, p * PW, row_end, bias, vlo, vhi, 2, 2, 1);
        if (p < p_end)
            step(panels + p * ps, ps, K, x, ldx, y, ldy, p * PW, row_end, bias, vlo, vhi, 2, 1, 2);
        return;
    }
    for (; p < p_end; p++) {
        const float* w = panels + p * ps;
        size_t b = 0;
        for (; b + 4 <= batch; b += 4)
            step(w, ps, K, x + b * ldx, ldx, y + b * ldy, ldy, p * PW, row_end, bias, vlo, vhi, 4, 1, 1);
        switch (batch - b) {
            case 3: step(w, ps, K, x + b * ldx, ldx, y + b * ldy, ldy, p * PW, row_end, bias, vlo, vhi, 3, 1, 1); break;
            case 2: step(w, ps, K, x + b * ldx, ldx, y + b * ldy, ldy, p * PW, row_end, bias, vlo, vhi, 2, 1, 2); break;
            case 1: step(w, ps, K, x + b * ldx, ldx, y + b * ldy, ldy, p * PW, row_end, bias, vlo, vhi, 1, 1, 4); break;
            default: break;
        }
    }
}
#endif
