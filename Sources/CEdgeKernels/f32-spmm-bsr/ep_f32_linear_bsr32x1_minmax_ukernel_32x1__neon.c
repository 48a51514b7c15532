// NEON kernel of format "bsr32x1": per block, 8 4-wide weight loads shared by up to 2 batch rows
// (one broadcast input each); blocks of a block row split over independent accumulators to hide
// FMA latency (bsr_neon.h).
#include "bsr_neon.h"

#if EP_ARCH_ARM64
void ep_f32_linear_bsr32x1_minmax_ukernel_32x1__neon(const void* packed, size_t row_begin,
        size_t row_end, size_t batch, const float* x, size_t ldx, float* y, size_t ldy,
        const float* bias, const ep_f32_minmax_params* params) {
    ep_bsr_rx1_neon_run(packed, row_begin, row_end, batch, x, ldx, y, ldy, bias, params, 8);
}
#endif
