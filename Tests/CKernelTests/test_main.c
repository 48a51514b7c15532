// Runs every kernel family's tests; the last line is exactly "N passed, N failed".
#include "test_support.h"

int main(void) {
    const ep_cpu_features* f = ep_cpu_get_features();
    printf("cpu: sse4_1=%d avx2=%d fma=%d neon=%d neon_dotprod=%d\n", f->sse4_1, f->avx2, f->fma,
           f->neon, f->neon_dotprod);
    const ep_f32_gemm_config* cfgs[16];
    const size_t ncfg = ep_f32_gemm_list_configs(cfgs, 16);
    printf("gemm variants:");
    for (size_t i = 0; i < ncfg; i++) printf(" %s", cfgs[i]->name);
    printf("\ngemm selected: %s\ndwconv selected: %s\n", ep_f32_gemm_get_config()->name,
           ep_f32_dwconv2d_name());
    test_f32_gemm();
    test_f32_conv();
    test_f32_dwconv();
    test_f32_spmm_csr();
    test_f32_linear();
    test_f32_bsr();
    test_f32_nm();
    test_f32_spmm_pixels();
    test_qs8_linear();
    test_qs8_convert();
    test_qs8_im2col();
    test_f32_pack();
    printf("%zu passed, %zu failed\n", g_passed, g_failed);
    return g_failed == 0 ? 0 : 1;
}
