// Scalar reference (the oracle) of the "dense" int8 Linear format: one output row group of 4 at a
// time, plain loops in wrapping 32-bit arithmetic over raw x and bias_raw.
#include "ukernels.h"

void ep_qs8_linear_dense_minmax_ukernel_4x16__scalar(const void* packed, size_t row_begin,
                                                     size_t row_end, size_t batch, const void* x,
                                                     size_t ldx, void* y, size_t ldy,
                                                     const ep_qs8_output_params* params) {
    ep_qs8_linear_header h;
    memcpy(&h, packed, sizeof h);
    const size_t cols = h.cols, chunks = (cols + 15) / 16;
    const ep_qs8_layout l = ep_qs8_layout_of(0, h.rows, cols, 0);
    const int32_t* bias = EP_QS8_AT(int32_t, packed, l.bias_raw);
    const float* mult = EP_QS8_AT(float, packed, l.mult);
    const int8_t* values = EP_QS8_AT(int8_t, packed, l.values);
    const ep_qs8_requant rq = ep_qs8_requant_of(params);
    for (size_t n0 = row_begin; n0 < row_end; n0 += 4) {
        const size_t nr = row_end - n0 < 4 ? row_end - n0 : 4;
        const int8_t* wg = values + (n0 / 4) * chunks * 64;
        for (size_t b = 0; b < batch; b++) {
            const uint8_t* xu = (const uint8_t*)x + b * ldx;
            const int8_t* xs = (const int8_t*)x + b * ldx;
            uint32_t acc[4];
            for (size_t r = 0; r < 4; r++) acc[r] = (uint32_t)bias[n0 + r];
            for (size_t k = 0; k < cols; k++) {
                const int32_t xv = h.x_unsigned ? (int32_t)xu[k] : (int32_t)xs[k];
                const int8_t* wk = wg + (k / 16) * 64 + k % 16;
                for (size_t r = 0; r < 4; r++) acc[r] += (uint32_t)(wk[16 * r] * xv);
            }
            int32_t v[4];
            for (size_t r = 0; r < 4; r++) v[r] = ep_qs8_requantize((int32_t)acc[r], mult[n0 + r], &rq);
            ep_qs8_store4((uint8_t*)y + b * ldy + n0, v, nr);
        }
    }
}
