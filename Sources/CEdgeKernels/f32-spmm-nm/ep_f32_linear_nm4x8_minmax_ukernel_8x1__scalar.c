// Scalar reference of the "nm4:8" Linear format: one output row at a time, each kept weight
// decoded from its group's index bits (see ukernels.h).
#include "nm_scalar.h"

void ep_f32_linear_nm4x8_minmax_ukernel_8x1__scalar(const void* packed, size_t row_begin,
                                                    size_t row_end, size_t batch, const float* x,
                                                    size_t ldx, float* y, size_t ldy,
                                                    const float* bias,
                                                    const ep_f32_minmax_params* params) {
    ep_nm_scalar(packed, row_begin, row_end, batch, x, ldx, y, ldy, bias, params);
}
