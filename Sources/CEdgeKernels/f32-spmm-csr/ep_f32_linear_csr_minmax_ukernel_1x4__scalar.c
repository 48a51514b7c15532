// Scalar reference of the "csr" Linear format: one output row at a time, four accumulators over
// its non-zeros.
#include <math.h>

#include "ukernels.h"

void ep_f32_linear_csr_minmax_ukernel_1x4__scalar(const void* packed, size_t row_begin,
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
            float a0 = 0.0f, a1 = 0.0f, a2 = 0.0f, a3 = 0.0f;
            uint32_t j = begin;
            for (; j + 4 <= end; j += 4) {
                a0 += val[j] * xb[idx[j]];
                a1 += val[j + 1] * xb[idx[j + 1]];
                a2 += val[j + 2] * xb[idx[j + 2]];
                a3 += val[j + 3] * xb[idx[j + 3]];
            }
            for (; j < end; j++) a0 += val[j] * xb[idx[j]];
            float v = (a0 + a1) + (a2 + a3) + (bias != NULL ? bias[n] : 0.0f);
            v = v < lo ? lo : v;
            v = v > hi ? hi : v;
            y[b * ldy + n] = v;
        }
    }
}
