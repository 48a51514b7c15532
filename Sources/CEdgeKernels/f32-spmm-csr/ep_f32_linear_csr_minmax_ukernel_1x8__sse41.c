// SSE4.1 "csr" kernel: per output row, 8 non-zeros per step into two 4-wide accumulators
// (multiply, then add: no FMA). The inputs are fetched with scalar loads inserted into lanes
// (insertps); indices are read four at a time as one 64-bit word. A 4-wide step, then a scalar
// tail.
#include "ukernels.h"

#if EP_ARCH_X86_64
#include <immintrin.h>
#include <math.h>
#include <string.h>

__attribute__((target("sse4.1"), always_inline)) static inline __m128 load4(const float* x,
                                                                            const uint16_t* idx) {
    uint64_t q;
    memcpy(&q, idx, 8);
    __m128 v = _mm_load_ss(x + (q & 0xffff));
    v = _mm_insert_ps(v, _mm_load_ss(x + ((q >> 16) & 0xffff)), 0x10);
    v = _mm_insert_ps(v, _mm_load_ss(x + ((q >> 32) & 0xffff)), 0x20);
    return _mm_insert_ps(v, _mm_load_ss(x + (q >> 48)), 0x30);
}

__attribute__((target("sse4.1")))
void ep_f32_linear_csr_minmax_ukernel_1x8__sse41(const void* packed, size_t row_begin,
                                                 size_t row_end, size_t batch, const float* x,
                                                 size_t ldx, float* y, size_t ldy,
                                                 const float* bias,
                                                 const ep_f32_minmax_params* params) {
    const ep_f32_sparse_header* h = packed;
    const unsigned char* blob = packed;
    const float* val = (const float*)(blob + h->off_val);
    const uint32_t* ptr = (const uint32_t*)(blob + h->off_ptr);
    const uint16_t* idx = (const uint16_t*)(blob + h->off_idx);
    const float lo = params != NULL ? params->min : -INFINITY;
    const float hi = params != NULL ? params->max : INFINITY;
    for (size_t n = row_begin; n < row_end; n++) {
        const uint32_t begin = ptr[n], end = ptr[n + 1];
        for (size_t b = 0; b < batch; b++) {
            const float* xb = x + b * ldx;
            __m128 acc0 = _mm_setzero_ps(), acc1 = _mm_setzero_ps();
            uint32_t j = begin;
            for (; j + 8 <= end; j += 8) {
                acc0 = _mm_add_ps(acc0, _mm_mul_ps(_mm_loadu_ps(val + j), load4(xb, idx + j)));
                acc1 = _mm_add_ps(acc1, _mm_mul_ps(_mm_loadu_ps(val + j + 4), load4(xb, idx + j + 4)));
            }
            if (j + 4 <= end) {
                acc0 = _mm_add_ps(acc0, _mm_mul_ps(_mm_loadu_ps(val + j), load4(xb, idx + j)));
                j += 4;
            }
            __m128 s = _mm_add_ps(acc0, acc1);
            s = _mm_add_ps(s, _mm_movehl_ps(s, s));
            s = _mm_add_ss(s, _mm_movehdup_ps(s));
            float v = _mm_cvtss_f32(s);
            for (; j < end; j++) v += val[j] * xb[idx[j]];
            v += bias != NULL ? bias[n] : 0.0f;
            v = v < lo ? lo : v;
            v = v > hi ? hi : v;
            y[b * ldy + n] = v;
        }
    }
}
#endif
