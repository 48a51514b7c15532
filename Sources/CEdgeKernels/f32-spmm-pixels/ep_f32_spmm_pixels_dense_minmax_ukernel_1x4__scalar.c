// Scalar reference (the oracle) of the dense sparse-pixels format: per block of 4 output rows and
// pixel, the 4 rows' sums over every k; only rows inside [row_begin, row_end) are written.
#include "ukernels.h"

#include <math.h>

void ep_f32_spmm_pixels_dense_minmax_ukernel_1x4__scalar(const void* packed, size_t row_begin,
                                                         size_t row_end, size_t pixels,
                                                         const float* x, size_t ldx, float* y,
                                                         size_t ldy, const float* bias,
                                                         const ep_f32_minmax_params* params) {
    const float lo = params != NULL ? params->min : -INFINITY;
    const float hi = params != NULL ? params->max : INFINITY;
    const size_t cols = ep_spx_head(packed)->cols;
    for (size_t g = row_begin / 4; g * 4 < row_end; g++) {
        const float* w = ep_spx_values(packed) + g * cols * 4;
        for (size_t p = 0; p < pixels; p++) {
            float acc[4] = {0.0f, 0.0f, 0.0f, 0.0f};
            for (size_t k = 0; k < cols; k++) {
                const float xv = x[k * ldx + p];
                for (size_t r = 0; r < 4; r++) acc[r] += w[k * 4 + r] * xv;
            }
            for (size_t r = 0; r < 4; r++) {
                const size_t n = g * 4 + r;
                if (n < row_begin || n >= row_end) continue;
                float v = acc[r] + (bias != NULL ? bias[n] : 0.0f);
                v = v < lo ? lo : v;
                v = v > hi ? hi : v;
                y[n * ldy + p] = v;
            }
        }
    }
}
