// Scalar reference (the oracle) of format "dense": one output row at a time, one accumulator,
// k in order.
#include "ukernels.h"

#include <math.h>

void ep_f32_linear_dense_minmax_ukernel_16x1__scalar(const void* packed, size_t row_begin,
                                                     size_t row_end, size_t batch, const float* x,
                                                     size_t ldx, float* y, size_t ldy,
                                                     const float* bias,
                                                     const ep_f32_minmax_params* params) {
    const ep_f32_dense_header* h = (const ep_f32_dense_header*)packed;
    const size_t cols = h->cols;
    const float* panels = (const float*)((const unsigned char*)packed + EP_F32_DENSE_HEADER);
    const float lo = params != NULL ? params->min : -INFINITY;
    const float hi = params != NULL ? params->max : INFINITY;
    for (size_t n = row_begin; n < row_end; n++) {
        const float* p = panels + (n / EP_F32_DENSE_PANEL) * cols * EP_F32_DENSE_PANEL +
                         n % EP_F32_DENSE_PANEL;
        for (size_t b = 0; b < batch; b++) {
            const float* xb = x + b * ldx;
            float acc = 0.0f;
            for (size_t k = 0; k < cols; k++) acc += p[k * EP_F32_DENSE_PANEL] * xb[k];
            acc += bias != NULL ? bias[n] : 0.0f;
            acc = acc < lo ? lo : acc;
            acc = acc > hi ? hi : acc;
            y[b * ldy + n] = acc;
        }
    }
}
