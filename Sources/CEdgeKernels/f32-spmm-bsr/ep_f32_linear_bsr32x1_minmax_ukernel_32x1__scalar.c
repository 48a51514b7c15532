// Scalar reference (the oracle) of format "bsr32x1": the generic block-sparse reference.
#include "ukernels.h"

void ep_f32_linear_bsr32x1_minmax_ukernel_32x1__scalar(const void* packed, size_t row_begin,
        size_t row_end, size_t batch, const float* x, size_t ldx, float* y, size_t ldy,
        const float* bias, const ep_f32_minmax_params* params) {
    ep_f32_linear_bsr_run__scalar(packed, row_begin, row_end, batch, x, ldx, y, ldy, bias, params);
}
