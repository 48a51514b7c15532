// f32 GEMM driver: tiles an M x N product over the selected microkernel (mr rows x nr columns per
// call). The m-tile loop is outermost so the A tile (mr x K) stays in L1 while the B panels stream.
#include "../ep_ukernels.h"

#include <math.h>

void ep_f32_gemm(const ep_f32_gemm_config* cfg, size_t m, size_t n, size_t k, const float* a,
                 size_t lda, const float* b_packed, float* c, size_t ldc, const float* bias_m,
                 const float* bias_n, const ep_f32_minmax_params* params) {
    ep_f32_minmax_params identity = {-INFINITY, INFINITY};
    if (params == NULL) params = &identity;
    const size_t MR = cfg->mr;
    const size_t NR = cfg->nr;
    const ep_f32_gemm_ukernel_fn ukernel = cfg->ukernel;
    const size_t panel_stride = k * NR;
    for (size_t m0 = 0; m0 < m; m0 += MR) {
        const size_t mr = m - m0 < MR ? m - m0 : MR;
        const float* a_tile = a + m0 * lda;
        float* c_row = c + m0 * ldc;
        const float* bm = bias_m != NULL ? bias_m + m0 : NULL;
        const float* panel = b_packed;
        for (size_t n0 = 0; n0 < n; n0 += NR) {
            const size_t nr = n - n0 < NR ? n - n0 : NR;
            ukernel(mr, nr, k, a_tile, lda, panel, c_row + n0, ldc, bm,
                    bias_n != NULL ? bias_n + n0 : NULL, params);
            panel += panel_stride;
        }
    }
}
