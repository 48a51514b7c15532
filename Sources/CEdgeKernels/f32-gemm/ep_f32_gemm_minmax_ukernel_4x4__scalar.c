// Scalar reference f32 GEMM microkernel, MR=4, NR=4: the oracle every SIMD variant is tested
// against. Deliberately plain: one accumulator per output element, summed in k order, then
// bias_m + bias_n, then clamp.
#include "../ep_ukernels.h"

void ep_f32_gemm_minmax_ukernel_4x4__scalar(
    size_t mr, size_t nr, size_t k, const float* a, size_t lda, const float* b_panel,
    float* c, size_t ldc, const float* bias_m, const float* bias_n,
    const ep_f32_minmax_params* params) {
    enum { NR = 4 };
    for (size_t i = 0; i < mr; i++) {
        const float* a_row = a + i * lda;
        for (size_t j = 0; j < nr; j++) {
            float acc = 0.0f;
            for (size_t p = 0; p < k; p++) {
                acc += a_row[p] * b_panel[p * NR + j];
            }
            if (bias_m != NULL) acc += bias_m[i];
            if (bias_n != NULL) acc += bias_n[j];
            acc = acc < params->min ? params->min : acc;
            acc = acc > params->max ? params->max : acc;
            c[i * ldc + j] = acc;
        }
    }
}
