// AVX2+FMA kernel of format "bsr32x1": per block, four 8-wide weight loads shared by up to 2
// batch rows (one broadcast input each); blocks of a block row split over independent
// accumulators to hide FMA latency (bsr_avx2.h).
#include "bsr_avx2.h"

#if EP_ARCH_X86_64
__attribute__((target("avx2,fma")))
void ep_f32_linear_bsr32x1_minmax_ukernel_32x1__avx2_fma(const void* packed, size_t row_begin,
        size_t row_end, size_t batch, const float* x, size_t ldx, float* y, size_t ldy,
        const float* bias, const ep_f32_minmax_params* params) {
    ep_bsr_rx1_avx2_run(packed, row_begin, row_end, batch, x, ldx, y, ldy, bias, params, 4);
}
#endif
