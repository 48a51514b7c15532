// AArch64 NEON f32 GEMM microkernel, MR=8, NR=8: 16 q-register accumulators (8 rows x 2 vectors).
// The k loop is unrolled by 4: each row loads 4 consecutive A values into one register and the
// FMAs use it by lane (vfmaq_laneq_f32), so A costs one load per 4 k instead of one per k.
// Row tails dispatch to exactly-sized tiles; tiles with <= 4 rows spread the 4 lanes over 2 or 4
// accumulator sets to hide the FMA latency (Cortex-A72: 7 cycles, 2 pipes).
// Compiles to nothing on other architectures.
#include "../ep_ukernels.h"

#if EP_ARCH_ARM64

#include <arm_neon.h>

#define EP_ALWAYS_INLINE static inline __attribute__((always_inline))

#define EP_FOR_ROWS(X, s, l) \
    X(s, l, 0) X(s, l, 1) X(s, l, 2) X(s, l, 3) X(s, l, 4) X(s, l, 5) X(s, l, 6) X(s, l, 7)
#define EP_DECL(s, l, i) float32x4_t v##s##_##i##a = vdupq_n_f32(0.0f), v##s##_##i##b = v##s##_##i##a;
#define EP_LOAD_A(s, l, i) float32x4_t va##i = vdupq_n_f32(0.0f); if (MR_ > i) va##i = vld1q_f32(a##i + p);
#define EP_FMA_LANE(s, l, i)                                                           \
    if (MR_ > i) {                                                                     \
        v##s##_##i##a = vfmaq_laneq_f32(v##s##_##i##a, vb##l##a, va##i, l);            \
        v##s##_##i##b = vfmaq_laneq_f32(v##s##_##i##b, vb##l##b, va##i, l);            \
    }
// Lane l accumulates into set s4 when KS_ == 4, s2 when KS_ == 2, else set 0.
#define EP_LANE(l, s4, s2)                                                             \
    {                                                                                  \
        const float32x4_t vb##l##a = vld1q_f32(b + 8 * l);                             \
        const float32x4_t vb##l##b = vld1q_f32(b + 8 * l + 4);                         \
        if (KS_ == 4) {                                                                \
            EP_FOR_ROWS(EP_FMA_LANE, s4, l)                                            \
        } else if (KS_ == 2) {                                                         \
            EP_FOR_ROWS(EP_FMA_LANE, s2, l)                                            \
        } else {                                                                       \
            EP_FOR_ROWS(EP_FMA_LANE, 0, l)                                             \
        }                                                                              \
    }
#define EP_FMA_DUP(s, l, i)                                                            \
    if (MR_ > i) {                                                                     \
        const float32x4_t va = vld1q_dup_f32(a##i + p);                                \
        v0_##i##a = vfmaq_f32(v0_##i##a, va, vb0a);                                    \
        v0_##i##b = vfmaq_f32(v0_##i##b, va, vb0b);                                    \
    }
#define EP_MERGE(s, l, i)                                                              \
    if (MR_ > i && KS_ > s) {                                                          \
        v0_##i##a = vaddq_f32(v0_##i##a, v##s##_##i##a);                               \
        v0_##i##b = vaddq_f32(v0_##i##b, v##s##_##i##b);                               \
    }
#define EP_EPILOGUE(s, l, i)                                                           \
    if (MR_ > i) {                                                                     \
        float32x4_t ra = vaddq_f32(v0_##i##a, bn0);                                    \
        float32x4_t rb = vaddq_f32(v0_##i##b, bn1);                                    \
        if (bias_m != NULL) {                                                          \
            const float32x4_t bm = vld1q_dup_f32(bias_m + i);                          \
            ra = vaddq_f32(ra, bm);                                                    \
            rb = vaddq_f32(rb, bm);                                                    \
        }                                                                              \
        ra = vminq_f32(vmaxq_f32(ra, vmin), vmax);                                     \
        rb = vminq_f32(vmaxq_f32(rb, vmin), vmax);                                     \
        store_row(c + i * ldc, ra, rb, nr);                                            \
    }

EP_ALWAYS_INLINE void store_row(float* c, float32x4_t va, float32x4_t vb, size_t nr) {
    if (nr == 8) {
        vst1q_f32(c, va);
        vst1q_f32(c + 4, vb);
        return;
    }
    if (nr & 4) {
        vst1q_f32(c, va);
        va = vb;
        c += 4;
    }
    float32x2_t v2 = vget_low_f32(va);
    if (nr & 2) {
        vst1_f32(c, v2);
        v2 = vget_high_f32(va);
        c += 2;
    }
    if (nr & 1) vst1_lane_f32(c, v2, 0);
}

// One MR_ x 8 tile (MR_ <= 8, KS_ in {1, 2, 4}: compile-time constants after inlining).
EP_ALWAYS_INLINE void tile(const size_t MR_, const size_t KS_, size_t nr, size_t k,
                           const float* a, size_t lda, const float* b, float* c, size_t ldc,
                           const float* bias_m, const float* bias_n,
                           const ep_f32_minmax_params* params) {
    const float* a0 = a;
    const float* a1 = MR_ > 1 ? a0 + lda : a0;
    const float* a2 = MR_ > 2 ? a1 + lda : a1;
    const float* a3 = MR_ > 3 ? a2 + lda : a2;
    const float* a4 = MR_ > 4 ? a3 + lda : a3;
    const float* a5 = MR_ > 5 ? a4 + lda : a4;
    const float* a6 = MR_ > 6 ? a5 + lda : a5;
    const float* a7 = MR_ > 7 ? a6 + lda : a6;
    EP_FOR_ROWS(EP_DECL, 0, 0)
    EP_FOR_ROWS(EP_DECL, 1, 0)
    EP_FOR_ROWS(EP_DECL, 2, 0)
    EP_FOR_ROWS(EP_DECL, 3, 0)
    size_t p = 0;
    for (; p + 4 <= k; p += 4) {
        EP_FOR_ROWS(EP_LOAD_A, 0, 0)
        EP_LANE(0, 0, 0)
        EP_LANE(1, 1, 1)
        EP_LANE(2, 2, 0)
        EP_LANE(3, 3, 1)
        b += 32;
    }
    for (; p < k; p++) {
        const float32x4_t vb0a = vld1q_f32(b);
        const float32x4_t vb0b = vld1q_f32(b + 4);
        EP_FOR_ROWS(EP_FMA_DUP, 0, 0)
        b += 8;
    }
    EP_FOR_ROWS(EP_MERGE, 1, 0)
    EP_FOR_ROWS(EP_MERGE, 2, 0)
    EP_FOR_ROWS(EP_MERGE, 3, 0)

    float32x4_t bn0 = vdupq_n_f32(0.0f), bn1 = bn0;
    if (bias_n != NULL) {
        if (nr == 8) {
            bn0 = vld1q_f32(bias_n);
            bn1 = vld1q_f32(bias_n + 4);
        } else {
            // Lane by lane: never read bias_n past nr (and no stack buffer that would force the
            // accumulators to spill).
            bn0 = vsetq_lane_f32(bias_n[0], bn0, 0);
            if (nr > 1) bn0 = vsetq_lane_f32(bias_n[1], bn0, 1);
            if (nr > 2) bn0 = vsetq_lane_f32(bias_n[2], bn0, 2);
            if (nr > 3) bn0 = vsetq_lane_f32(bias_n[3], bn0, 3);
            if (nr > 4) bn1 = vsetq_lane_f32(bias_n[4], bn1, 0);
            if (nr > 5) bn1 = vsetq_lane_f32(bias_n[5], bn1, 1);
            if (nr > 6) bn1 = vsetq_lane_f32(bias_n[6], bn1, 2);
        }
    }
    const float32x4_t vmin = vld1q_dup_f32(&params->min);
    const float32x4_t vmax = vld1q_dup_f32(&params->max);
    EP_FOR_ROWS(EP_EPILOGUE, 0, 0)
}

void ep_f32_gemm_minmax_ukernel_8x8__neon(
    size_t mr, size_t nr, size_t k, const float* a, size_t lda, const float* b_panel,
    float* c, size_t ldc, const float* bias_m, const float* bias_n,
    const ep_f32_minmax_params* params) {
    switch (mr) {
        case 1: tile(1, 4, nr, k, a, lda, b_panel, c, ldc, bias_m, bias_n, params); break;
        case 2: tile(2, 2, nr, k, a, lda, b_panel, c, ldc, bias_m, bias_n, params); break;
        case 3: tile(3, 2, nr, k, a, lda, b_panel, c, ldc, bias_m, bias_n, params); break;
        case 4: tile(4, 2, nr, k, a, lda, b_panel, c, ldc, bias_m, bias_n, params); break;
        case 5: tile(5, 1, nr, k, a, lda, b_panel, c, ldc, bias_m, bias_n, params); break;
        case 6: tile(6, 1, nr, k, a, lda, b_panel, c, ldc, bias_m, bias_n, params); break;
        case 7: tile(7, 1, nr, k, a, lda, b_panel, c, ldc, bias_m, bias_n, params); break;
        default: tile(8, 1, nr, k, a, lda, b_panel, c, ldc, bias_m, bias_n, params); break;
    }
}

#endif  // EP_ARCH_ARM64
