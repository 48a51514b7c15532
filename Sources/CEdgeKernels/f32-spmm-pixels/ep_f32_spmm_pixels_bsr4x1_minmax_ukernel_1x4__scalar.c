// Scalar reference (the oracle) of the bsr4x1 sparse-pixels format: per row block and pixel, the 4
// rows' sums over the block's kept k; only rows inside [row_begin, row_end) are written.
#include "ukernels.h"

#include <math.h>

void ep_f32_spmm_pixels_bsr4x1_minmax_ukernel_1x4__scalar(const void* packed, size_t row_begin,
                                                          size_t row_end, size_t pixels,
                                                          const float* x, size_t ldx, float* y,
                                                          size_t ldy, const float* bias,
                                                          const ep_f32_minmax_params* params) {
    const float lo = params != NULL ? params->min : -INFINITY;
    const float hi = params != NULL ? params->max : INFINITY;
    const float* values = ep_spx_values(packed);
    const uint32_t* ptr = ep_spx_ptr(packed);
    const uint16_t* idx = ep_spx_idx(packed);
    for (size_t g = row_begin / 4; g * 4 < row_end; g++) {
        for (size_t p = 0; p < pixels; p++) {
            float acc[4] = {0.0f, 0.0f, 0.0f, 0.0f};
            for (uint32_t j = ptr[g]; j < ptr[g + 1]; j++) {
                const float xv = x[(size_t)idx[j] * ldx + p];
                for (size_t r = 0; r < 4; r++) acc[r] += values[(size_t)j * 4 + r] * xv;
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
