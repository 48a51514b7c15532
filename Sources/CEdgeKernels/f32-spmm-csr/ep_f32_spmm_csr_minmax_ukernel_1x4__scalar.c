// Scalar reference for the CSR sparse x dense kernel: one output row at a time, four independent
// accumulators over its non-zeros.
#include <math.h>
#include "../ep_ukernels.h"

void ep_f32_spmm_csr_minmax_ukernel_1x4__scalar(const ep_f32_csr_matrix* w, size_t batch,
                                                const float* x, size_t ldx, float* y, size_t ldy,
                                                const float* bias,
                                                const ep_f32_minmax_params* params) {
    const float lo = params != NULL ? params->min : -INFINITY;
    const float hi = params != NULL ? params->max : INFINITY;
    for (size_t n = 0; n < w->rows; n++) {
        const uint32_t begin = w->row_ptr[n], end = w->row_ptr[n + 1];
        for (size_t b = 0; b < batch; b++) {
            const float* xb = x + b * ldx;
            float a0 = 0.0f, a1 = 0.0f, a2 = 0.0f, a3 = 0.0f;
            uint32_t j = begin;
            for (; j + 4 <= end; j += 4) {
                a0 += w->values[j] * xb[w->col_idx[j]];
                a1 += w->values[j + 1] * xb[w->col_idx[j + 1]];
                a2 += w->values[j + 2] * xb[w->col_idx[j + 2]];
                a3 += w->values[j + 3] * xb[w->col_idx[j + 3]];
            }
            for (; j < end; j++) a0 += w->values[j] * xb[w->col_idx[j]];
            float v = (a0 + a1) + (a2 + a3) + (bias != NULL ? bias[n] : 0.0f);
            v = v < lo ? lo : v;
            v = v > hi ? hi : v;
            y[b * ldy + n] = v;
        }
    }
}
