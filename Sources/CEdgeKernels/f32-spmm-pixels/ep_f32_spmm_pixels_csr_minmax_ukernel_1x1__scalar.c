// Scalar reference (the oracle) of the csr sparse-pixels format: one output row and one pixel at a
// time, summing the row's non-zeros in stored order.
#include "ukernels.h"

#include <math.h>

void ep_f32_spmm_pixels_csr_minmax_ukernel_1x1__scalar(const void* packed, size_t row_begin,
                                                       size_t row_end, size_t pixels,
                                                       const float* x, size_t ldx, float* y,
                                                       size_t ldy, const float* bias,
                                                       const ep_f32_minmax_params* params) {
    const float lo = params != NULL ? params->min : -INFINITY;
    const float hi = params != NULL ? params->max : INFINITY;
    const float* values = ep_spx_values(packed);
    const uint32_t* ptr = ep_spx_ptr(packed);
    const uint16_t* idx = ep_spx_idx(packed);
    for (size_t n = row_begin; n < row_end; n++) {
        const float b = bias != NULL ? bias[n] : 0.0f;
        for (size_t p = 0; p < pixels; p++) {
            float acc = 0.0f;
            for (uint32_t j = ptr[n]; j < ptr[n + 1]; j++) acc += values[j] * x[(size_t)idx[j] * ldx + p];
            float v = acc + b;
            v = v < lo ? lo : v;
            v = v > hi ? hi : v;
            y[n * ldy + p] = v;
        }
    }
}
