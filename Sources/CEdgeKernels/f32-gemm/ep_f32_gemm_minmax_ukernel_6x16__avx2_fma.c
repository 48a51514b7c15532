// AVX2+FMA f32 GEMM microkernel, MR=6, NR=16: 12 ymm accumulators (6 rows x 2 vectors), A
// broadcast per row and k, B read as two 8-float vectors per k from the packed panel.
// Compiled with a per-function target attribute, so the translation unit needs no -mavx2 and the
// binary still runs on CPUs without AVX2 (config.c only selects this kernel when detected).
//
// Row tails are not padded with redundant rows: the kernel dispatches on mr to a copy of the tile
// specialised for exactly that many rows (and on nr <= 8 to a copy that skips the second vector). Few-row tiles (mr <= 3, e.g. M=1 GEMV-like Linear layers)
// split the k loop over 2 or 4 independent accumulator sets so the FMA latency chain does not
// bound throughput; the sets are summed before the epilogue.
#include "../ep_ukernels.h"

#if EP_ARCH_X86_64

#include <immintrin.h>

#define EP_AVX2 __attribute__((target("avx2,fma")))
#define EP_ALWAYS_INLINE static inline __attribute__((always_inline))

// mask_first(n) = first n lanes set (n in 0..8); read from the middle of this table.
static const int32_t k_mask_table[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

EP_ALWAYS_INLINE EP_AVX2 __m256i mask_first(size_t n) {
    return _mm256_loadu_si256((const __m256i*)(k_mask_table + 8 - n));
}

// The tile is written with named accumulators (set s, row i, half a/b) guarded by compile-time
// row/set counts rather than arrays: GCC does not keep arrays of vectors in registers.
#define EP_FOR_ROWS(X, s) X(s, 0) X(s, 1) X(s, 2) X(s, 3) X(s, 4) X(s, 5)
#define EP_DECL(s, i) __m256 v##s##_##i##a = _mm256_setzero_ps(), v##s##_##i##b = _mm256_setzero_ps();
#define EP_FMA(s, i)                                                                   \
    if (MR_ > i) {                                                                     \
        const __m256 va = _mm256_broadcast_ss(a##i + p + s);                           \
        v##s##_##i##a = _mm256_fmadd_ps(va, vb##s##a, v##s##_##i##a);                  \
        if (NV_ > 1) v##s##_##i##b = _mm256_fmadd_ps(va, vb##s##b, v##s##_##i##b);     \
    }
#define EP_STEP(s)                                                                     \
    {                                                                                  \
        const __m256 vb##s##a = _mm256_loadu_ps(b + 16 * s);                           \
        const __m256 vb##s##b = NV_ > 1 ? _mm256_loadu_ps(b + 16 * s + 8) : vb##s##a;  \
        EP_FOR_ROWS(EP_FMA, s)                                                         \
    }
#define EP_MERGE(s, i)                                                                 \
    if (MR_ > i && KS_ > s) {                                                          \
        v0_##i##a = _mm256_add_ps(v0_##i##a, v##s##_##i##a);                           \
        if (NV_ > 1) v0_##i##b = _mm256_add_ps(v0_##i##b, v##s##_##i##b);              \
    }
#define EP_BIAS_N(s, i)                                                                \
    if (MR_ > i) {                                                                     \
        v0_##i##a = _mm256_add_ps(v0_##i##a, bn0);                                     \
        if (NV_ > 1) v0_##i##b = _mm256_add_ps(v0_##i##b, bn1);                        \
    }
#define EP_BIAS_M(s, i)                                                                \
    if (MR_ > i) {                                                                     \
        const __m256 bm = _mm256_broadcast_ss(bias_m + i);                             \
        v0_##i##a = _mm256_add_ps(v0_##i##a, bm);                                      \
        if (NV_ > 1) v0_##i##b = _mm256_add_ps(v0_##i##b, bm);                         \
    }
#define EP_CLAMP(s, i)                                                                 \
    if (MR_ > i) {                                                                     \
        v0_##i##a = _mm256_min_ps(_mm256_max_ps(v0_##i##a, vmin), vmax);               \
        if (NV_ > 1) v0_##i##b = _mm256_min_ps(_mm256_max_ps(v0_##i##b, vmin), vmax);  \
    }
#define EP_STORE(s, i)                                                                 \
    if (MR_ > i) {                                                                     \
        _mm256_storeu_ps(c + i * ldc, v0_##i##a);                                      \
        _mm256_storeu_ps(c + i * ldc + 8, v0_##i##b);                                  \
    }
#define EP_STORE_MASKED(s, i)                                                          \
    if (MR_ > i) {                                                                     \
        _mm256_maskstore_ps(c + i * ldc, mask0, v0_##i##a);                            \
        if (NV_ > 1) _mm256_maskstore_ps(c + i * ldc + 8, mask1, v0_##i##b);           \
    }

// One MR_ x 16 tile (MR_ <= 6, KS_ in {1, 2, 4}, NV_ in {1, 2} are compile-time constants after
// inlining). KS_ > 1 splits k over KS_ accumulator sets; NV_ == 1 computes only the first 8
// columns (a tail panel with nr <= 8 costs half a full one).
EP_ALWAYS_INLINE EP_AVX2 void tile(const size_t MR_, const size_t KS_, const size_t NV_,
                                   size_t nr, size_t k,
                                   const float* a, size_t lda, const float* b, float* c,
                                   size_t ldc, const float* bias_m, const float* bias_n,
                                   const ep_f32_minmax_params* params) {
    // Rows past MR_ alias the previous row; they are never read (every use is guarded).
    const float* a0 = a;
    const float* a1 = MR_ > 1 ? a0 + lda : a0;
    const float* a2 = MR_ > 2 ? a1 + lda : a1;
    const float* a3 = MR_ > 3 ? a2 + lda : a2;
    const float* a4 = MR_ > 4 ? a3 + lda : a3;
    const float* a5 = MR_ > 5 ? a4 + lda : a4;
    EP_FOR_ROWS(EP_DECL, 0)
    EP_FOR_ROWS(EP_DECL, 1)
    EP_FOR_ROWS(EP_DECL, 2)
    EP_FOR_ROWS(EP_DECL, 3)
    size_t p = 0;
    if (KS_ == 4) {
        for (; p + 4 <= k; p += 4) {
            EP_STEP(0) EP_STEP(1) EP_STEP(2) EP_STEP(3)
            b += 64;
        }
    } else if (KS_ == 2) {
        for (; p + 2 <= k; p += 2) {
            EP_STEP(0) EP_STEP(1)
            b += 32;
        }
    }
    for (; p < k; p++) {
        EP_STEP(0)
        b += 16;
    }
    EP_FOR_ROWS(EP_MERGE, 1)
    EP_FOR_ROWS(EP_MERGE, 2)
    EP_FOR_ROWS(EP_MERGE, 3)

    // Epilogue: biases, clamp, store (masked for a partial panel).
    const __m256i mask0 = mask_first(nr < 8 ? nr : 8);
    const __m256i mask1 = mask_first(nr > 8 ? nr - 8 : 0);
    if (bias_n != NULL) {
        __m256 bn0, bn1;
        if (nr == 16) {
            bn0 = _mm256_loadu_ps(bias_n);
            bn1 = _mm256_loadu_ps(bias_n + 8);
        } else {
            bn0 = _mm256_maskload_ps(bias_n, mask0);
            bn1 = NV_ > 1 ? _mm256_maskload_ps(bias_n + 8, mask1) : bn0;
        }
        EP_FOR_ROWS(EP_BIAS_N, 0)
    }
    if (bias_m != NULL) {
        EP_FOR_ROWS(EP_BIAS_M, 0)
    }
    const __m256 vmin = _mm256_broadcast_ss(&params->min);
    const __m256 vmax = _mm256_broadcast_ss(&params->max);
    EP_FOR_ROWS(EP_CLAMP, 0)
    if (nr == 16) {
        EP_FOR_ROWS(EP_STORE, 0)
    } else {
        EP_FOR_ROWS(EP_STORE_MASKED, 0)
    }
}

EP_AVX2 void ep_f32_gemm_minmax_ukernel_6x16__avx2_fma(
    size_t mr, size_t nr, size_t k, const float* a, size_t lda, const float* b_panel,
    float* c, size_t ldc, const float* bias_m, const float* bias_n,
    const ep_f32_minmax_params* params) {
    // (mr, columns) -> exactly-sized tile; few-row tiles split k over several accumulator sets.
#define EP_TILE(MR, KS)                                                                    \
    if (nr > 8) {                                                                          \
        tile(MR, KS, 2, nr, k, a, lda, b_panel, c, ldc, bias_m, bias_n, params);           \
    } else {                                                                               \
        tile(MR, KS, 1, nr, k, a, lda, b_panel, c, ldc, bias_m, bias_n, params);           \
    }                                                                                      \
    break;
    switch (mr) {
        case 1: EP_TILE(1, 4)
        case 2: EP_TILE(2, 2)
        case 3: EP_TILE(3, 2)
        case 4: EP_TILE(4, 1)
        case 5: EP_TILE(5, 1)
        default: EP_TILE(6, 1)
    }
#undef EP_TILE
}

#endif  // EP_ARCH_X86_64
