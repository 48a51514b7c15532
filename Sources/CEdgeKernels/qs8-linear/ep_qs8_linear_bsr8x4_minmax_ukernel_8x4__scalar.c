// Scalar reference (the oracle) of the "bsr8x4" int8 Linear format: per row group of 8, every
// stored 8 x 4 block against 4 inputs, in wrapping 32-bit arithmetic over raw x and bias_raw.
#include "ukernels.h"

void ep_qs8_linear_bsr8x4_minmax_ukernel_8x4__scalar(const void* packed, size_t row_begin,
                                                     size_t row_end, size_t batch, const void* x,
                                                     size_t ldx, void* y, size_t ldy,
                                                     const ep_qs8_output_params* params) {
    ep_qs8_linear_header h;
    memcpy(&h, packed, sizeof h);
    const size_t cols = h.cols;
    const ep_qs8_layout l = ep_qs8_layout_of(EP_QS8_KIND_BSR8X4, h.rows, cols, h.blocks);
    const int32_t* bias = EP_QS8_AT(int32_t, packed, l.bias_raw);
    const float* mult = EP_QS8_AT(float, packed, l.mult);
    const uint32_t* ptr = EP_QS8_AT(uint32_t, packed, l.ptr);
    const uint16_t* idx = EP_QS8_AT(uint16_t, packed, l.idx);
    const int8_t* values = EP_QS8_AT(int8_t, packed, l.values);
    const ep_qs8_requant rq = ep_qs8_requant_of(params);
    for (size_t n0 = row_begin; n0 < row_end; n0 += 8) {
        const size_t nr = row_end - n0 < 8 ? row_end - n0 : 8;
        const size_t g = n0 / 8;
        for (size_t b = 0; b < batch; b++) {
            const uint8_t* xu = (const uint8_t*)x + b * ldx;
            const int8_t* xs = (const int8_t*)x + b * ldx;
            uint32_t acc[8];
            for (size_t r = 0; r < 8; r++) acc[r] = (uint32_t)bias[n0 + r];
            for (size_t j = ptr[g]; j < ptr[g + 1]; j++) {
                const int8_t* blk = values + 32 * j;
                for (size_t c = 0; c < 4; c++) {
                    const size_t k = 4 * (size_t)idx[j] + c;
                    if (k >= cols) break;  // padding columns of the last block column
                    const int32_t xv = h.x_unsigned ? (int32_t)xu[k] : (int32_t)xs[k];
                    // Column c lives in half c / 2, at byte 2 r + c % 2 for row r.
                    const int8_t* half = blk + 16 * (c / 2) + c % 2;
                    for (size_t r = 0; r < 8; r++) acc[r] += (uint32_t)(half[2 * r] * xv);
                }
            }
            uint8_t* yb = (uint8_t*)y + b * ldy + n0;
            for (size_t r = 0; r < nr; r++)
                yb[r] = (uint8_t)ep_qs8_requantize((int32_t)acc[r], mult[n0 + r], &rq);
        }
    }
}
