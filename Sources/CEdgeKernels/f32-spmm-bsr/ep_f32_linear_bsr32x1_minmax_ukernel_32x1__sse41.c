// SSE4.1 kernel of format "bsr32x1": per block, eight 4-wide weight loads (one batch row at a time) (one
// broadcast input each; multiply, then add: no FMA); blocks of a block row split over independent
// accumulators to hide the add latency (bsr_sse41.h).
#include "bsr_sse41.h"

#if EP_ARCH_X86_64
__attribute__((target("sse4.1")))
void ep_f32_linear_bsr32x1_minmax_ukernel_32x1__sse41(const void* packed, size_t row_begin,
        size_t row_end, size_t batch, const float* x, size_t ldx, float* y, size_t ldy,
        const float* bias, const ep_f32_minmax_params* params) {
    ep_bsr_rx1_sse41_run(packed, row_begin, row_end, batch, x, ldx, y, ldy, bias, params, 8);
}
#endif
