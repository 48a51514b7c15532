// Scalar reference of the "csc" Linear format: per panel of up to 256 output rows, the columns
// whose input is non-zero (inputs after a Relu are often half zeros) scatter their non-zeros into
// a panel of accumulators; then bias, clamp and store the rows in range.
#include <math.h>

#include "ukernels.h"

void ep_f32_linear_csc_minmax_ukernel_256x1__scalar(const void* packed, size_t row_begin,
                                                    size_t row_end, size_t batch, const float* x,
                                                    size_t ldx, float* y, size_t ldy,
                                                    const float* bias,
                                                    const ep_f32_minmax_params* params) {
    const ep_f32_sparse_header* h = packed;
    const unsigned char* blob = packed;
    const size_t rows = (size_t)h->rows, cols = (size_t)h->cols;
    const float* val = (const float*)(blob + h->off_val);
    const uint32_t* ptr = (const uint32_t*)(blob + h->off_ptr);
    const uint8_t* idx = blob + h->off_idx;
    const float lo = params != NULL ? params->min : -INFINITY;
    const float hi = params != NULL ? params->max : INFINITY;
    float acc[EP_CSC_PANEL];
    for (size_t r0 = row_begin; r0 < row_end; r0 += EP_CSC_PANEL) {
        const uint32_t* cp = ptr + (r0 / EP_CSC_PANEL) * (cols + 1);
        const size_t height = rows - r0 < EP_CSC_PANEL ? rows - r0 : EP_CSC_PANEL;
        const size_t out = row_end - r0 < height ? row_end - r0 : height;
        for (size_t b = 0; b < batch; b++) {
            const float* xb = x + b * ldx;
            for (size_t r = 0; r < height; r++) acc[r] = 0.0f;
            for (size_t c = 0; c < cols; c++) {
                const float xc = xb[c];
                if (xc == 0.0f) continue;
                for (uint32_t j = cp[c]; j < cp[c + 1]; j++) acc[idx[j]] += val[j] * xc;
            }
            for (size_t r = 0; r < out; r++) {
                float v = acc[r] + (bias != NULL ? bias[r0 + r] : 0.0f);
                v = v < lo ? lo : v;
                v = v > hi ? hi : v;
                y[b * ldy + r0 + r] = v;
            }
        }
    }
}
