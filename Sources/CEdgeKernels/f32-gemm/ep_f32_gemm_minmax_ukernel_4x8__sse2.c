// SSE2 f32 GEMM microkernel, MR=4, NR=8: 8 xmm accumulators (4 rows x 2 vectors), separate
// multiply and add (SSE2 has no FMA). Baseline for x86-64 CPUs without AVX2+FMA.
// Like the AVX2 kernel it dispatches on mr to exactly-sized tiles, and the 1- and 2-row tiles split
// k over several accumulator sets to hide the add latency.
#include "../ep_ukernels.h"

#if EP_ARCH_X86_64

#include <emmintrin.h>

#define EP_ALWAYS_INLINE static inline __attribute__((always_inline))

#define EP_FOR_ROWS(X, s) X(s, 0) X(s, 1) X(s, 2) X(s, 3)
#define EP_DECL(s, i) __m128 v##s##_##i##a = _mm_setzero_ps(), v##s##_##i##b = _mm_setzero_ps();
#define EP_MAC(s, i)                                                                   \
    if (MR_ > i) {                                                                     \
        const __m128 va = _mm_load1_ps(a##i + p + s);                                  \
        v##s##_##i##a = _mm_add_ps(v##s##_##i##a, _mm_mul_ps(va, vb##s##a));           \
        v##s##_##i##b = _mm_add_ps(v##s##_##i##b, _mm_mul_ps(va, vb##s##b));           \
    }
#define EP_STEP(s)                                                                     \
    {                                                                                  \
        const __m128 vb##s##a = _mm_loadu_ps(b + 8 * s);                               \
        const __m128 vb##s##b = _mm_loadu_ps(b + 8 * s + 4);                           \
        EP_FOR_ROWS(EP_MAC, s)                                                         \
    }
#define EP_MERGE(s, i)                                                                 \
    if (MR_ > i && KS_ > s) {                                                          \
        v0_##i##a = _mm_add_ps(v0_##i##a, v##s##_##i##a);                              \
        v0_##i##b = _mm_add_ps(v0_##i##b, v##s##_##i##b);                              \
    }
#define EP_EPILOGUE(s, i)                                                              \
    if (MR_ > i) {                                                                     \
        __m128 ra = _mm_add_ps(v0_##i##a, bn0);                                        \
        __m128 rb = _mm_add_ps(v0_##i##b, bn1);                                        \
        if (bias_m != NULL) {                                                          \
            const __m128 bm = _mm_load1_ps(bias_m + i);                                \
            ra = _mm_add_ps(ra, bm);                                                   \
            rb = _mm_add_ps(rb, bm);                                                   \
        }                                                                              \
        ra = _mm_min_ps(_mm_max_ps(ra, vmin), vmax);                                   \
        rb = _mm_min_ps(_mm_max_ps(rb, vmin), vmax);                                   \
        store_row(c + i * ldc, ra, rb, nr);                                            \
    }

EP_ALWAYS_INLINE void store_row(float* c, __m128 va, __m128 vb, size_t nr) {
    if (nr == 8) {
        _mm_storeu_ps(c, va);
        _mm_storeu_ps(c + 4, vb);
        return;
    }
    if (nr & 4) {
        _mm_storeu_ps(c, va);
        va = vb;
        c += 4;
    }
    if (nr & 2) {
        _mm_storel_pi((__m64*)c, va);
        va = _mm_movehl_ps(va, va);
        c += 2;
    }
    if (nr & 1) _mm_store_ss(c, va);
}

// One MR_ x 8 tile (MR_ <= 4, KS_ in {1, 2, 4}: compile-time constants after inlining).
EP_ALWAYS_INLINE void tile(const size_t MR_, const size_t KS_, size_t nr, size_t k,
                           const float* a, size_t lda, const float* b, float* c, size_t ldc,
                           const float* bias_m, const float* bias_n,
                           const ep_f32_minmax_params* params) {
    const float* a0 = a;
    const float* a1 = MR_ > 1 ? a0 + lda : a0;
    const float* a2 = MR_ > 2 ? a1 + lda : a1;
    const float* a3 = MR_ > 3 ? a2 + lda : a2;
    EP_FOR_ROWS(EP_DECL, 0)
    EP_FOR_ROWS(EP_DECL, 1)
    EP_FOR_ROWS(EP_DECL, 2)
    EP_FOR_ROWS(EP_DECL, 3)
    size_t p = 0;
    if (KS_ == 4) {
        for (; p + 4 <= k; p += 4) {
            EP_STEP(0) EP_STEP(1) EP_STEP(2) EP_STEP(3)
            b += 32;
        }
    } else if (KS_ == 2) {
        for (; p + 2 <= k; p += 2) {
            EP_STEP(0) EP_STEP(1)
            b += 16;
        }
    }
    for (; p < k; p++) {
        EP_STEP(0)
        b += 8;
    }
    EP_FOR_ROWS(EP_MERGE, 1)
    EP_FOR_ROWS(EP_MERGE, 2)
    EP_FOR_ROWS(EP_MERGE, 3)

    __m128 bn0 = _mm_setzero_ps(), bn1 = _mm_setzero_ps();
    if (bias_n != NULL) {
        if (nr == 8) {
            bn0 = _mm_loadu_ps(bias_n);
            bn1 = _mm_loadu_ps(bias_n + 4);
        } else {
            // Element by element: never read bias_n past nr (and no stack buffer that would force
            // the accumulators to spill).
#define EP_BN(j) (nr > j ? bias_n[j] : 0.0f)
            bn0 = _mm_setr_ps(bias_n[0], EP_BN(1), EP_BN(2), EP_BN(3));
            bn1 = _mm_setr_ps(EP_BN(4), EP_BN(5), EP_BN(6), 0.0f);
#undef EP_BN
        }
    }
    const __m128 vmin = _mm_load1_ps(&params->min);
    const __m128 vmax = _mm_load1_ps(&params->max);
    EP_FOR_ROWS(EP_EPILOGUE, 0)
}

void ep_f32_gemm_minmax_ukernel_4x8__sse2(
    size_t mr, size_t nr, size_t k, const float* a, size_t lda, const float* b_panel,
    float* c, size_t ldc, const float* bias_m, const float* bias_n,
    const ep_f32_minmax_params* params) {
    switch (mr) {
        case 1: tile(1, 4, nr, k, a, lda, b_panel, c, ldc, bias_m, bias_n, params); break;
        case 2: tile(2, 2, nr, k, a, lda, b_panel, c, ldc, bias_m, bias_n, params); break;
        case 3: tile(3, 1, nr, k, a, lda, b_panel, c, ldc, bias_m, bias_n, params); break;
        default: tile(4, 1, nr, k, a, lda, b_panel, c, ldc, bias_m, bias_n, params); break;
    }
}

#endif  // EP_ARCH_X86_64
