// Scalar reference (the oracle) of every bsr<R>x<C> format: per block row and batch row, R
// accumulators, blocks in order; columns past `cols` in the last block column are not read.
#include "ukernels.h"

#include <math.h>

enum { MAX_R = 32 };

void ep_f32_linear_bsr_run__scalar(const void* packed, size_t row_begin, size_t row_end,
                                   size_t batch, const float* x, size_t ldx, float* y, size_t ldy,
                                   const float* bias, const ep_f32_minmax_params* params) {
    const ep_f32_bsr_header* h = (const ep_f32_bsr_header*)packed;
    const size_t R = h->block_rows, C = h->block_cols, cols = h->cols;
    const uint32_t* row_ptr = ep_f32_bsr_row_ptr(h);
    const uint16_t* col_idx = ep_f32_bsr_col_idx(h);
    const float* values = ep_f32_bsr_values(h);
    const float lo = params != NULL ? params->min : -INFINITY;
    const float hi = params != NULL ? params->max : INFINITY;
    if (R > MAX_R) return;
    for (size_t br = row_begin / R; br * R < row_end; br++) {
        for (size_t b = 0; b < batch; b++) {
            const float* xb = x + b * ldx;
            float acc[MAX_R] = {0};
            for (uint32_t j = row_ptr[br]; j < row_ptr[br + 1]; j++) {
                const size_t c0 = (size_t)col_idx[j] * C;
                const float* v = values + (size_t)j * R * C;
                for (size_t r = 0; r < R; r++)
                    for (size_t c = 0; c < C && c0 + c < cols; c++) acc[r] += v[r * C + c] * xb[c0 + c];
            }
            for (size_t r = 0; r < R; r++) {
                const size_t n = br * R + r;
                if (n < row_begin || n >= row_end) continue;
                float o = acc[r] + (bias != NULL ? bias[n] : 0.0f);
                o = o < lo ? lo : o;
                y[b * ldy + n] = o > hi ? hi : o;
            }
        }
    }
}
