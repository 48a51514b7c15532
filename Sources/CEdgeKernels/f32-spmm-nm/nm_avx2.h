// Helpers shared by the AVX2 N:M kernels: bias, clamp and store of one panel of 8 rows.
#ifndef EP_F32_SPMM_NM_AVX2_H
#define EP_F32_SPMM_NM_AVX2_H

#include "ukernels.h"

#if EP_ARCH_X86_64
#include <immintrin.h>

// y[0 .. count) = clamp(acc + bias[0 .. count)), count <= 8 (bias may be NULL).
__attribute__((target("avx2,fma"), always_inline)) static inline void ep_nm_store8(
    __m256 acc, const float* bias, size_t count, __m256 vlo, __m256 vhi, float* y) {
    if (count == 8) {
        if (bias != NULL) acc = _mm256_add_ps(acc, _mm256_loadu_ps(bias));
        _mm256_storeu_ps(y, _mm256_min_ps(_mm256_max_ps(acc, vlo), vhi));
        return;
    }
    float t[8] __attribute__((aligned(32)));
    _mm256_store_ps(t, acc);
    const float lo = _mm256_cvtss_f32(vlo), hi = _mm256_cvtss_f32(vhi);
    for (size_t r = 0; r < count; r++) {
        float v = t[r] + (bias != NULL ? bias[r] : 0.0f);
        v = v < lo ? lo : v;
        v = v > hi ? hi : v;
        y[r] = v;
    }
}
#endif

#endif
