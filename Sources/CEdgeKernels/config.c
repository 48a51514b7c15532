// Kernel selection: the ONE place that maps run-time CPU features to microkernels. The tables are
// constant; the only mutable state is the cached choice (an atomic pointer, so concurrent first
// calls are race-free: each computes the same answer).
#include "ep_ukernels.h"
#include "f32-linear-dense/ukernels.h"
#include "f32-spmm-bsr/ukernels.h"
#include "f32-spmm-nm/ukernels.h"
#include "f32-spmm-pixels/ukernels.h"
#include "qs8-linear/ukernels.h"

// ---------------------------------------------------------------------------------------------
// f32 GEMM

static const ep_f32_gemm_config k_gemm_scalar = {
    ep_f32_gemm_minmax_ukernel_4x4__scalar, 4, 4, "ep_f32_gemm_minmax_ukernel_4x4__scalar"};
#if EP_ARCH_X86_64
static const ep_f32_gemm_config k_gemm_sse2 = {
    ep_f32_gemm_minmax_ukernel_4x8__sse2, 4, 8, "ep_f32_gemm_minmax_ukernel_4x8__sse2"};
static const ep_f32_gemm_config k_gemm_avx2_fma = {
    ep_f32_gemm_minmax_ukernel_6x16__avx2_fma, 6, 16,
    "ep_f32_gemm_minmax_ukernel_6x16__avx2_fma"};
#endif
#if EP_ARCH_ARM64
static const ep_f32_gemm_config k_gemm_neon = {
    ep_f32_gemm_minmax_ukernel_8x8__neon, 8, 8, "ep_f32_gemm_minmax_ukernel_8x8__neon"};
#endif

// Every variant this CPU can run, reference first, preferred last.
static size_t gemm_candidates(const ep_f32_gemm_config** out, size_t capacity) {
    const ep_cpu_features* f = ep_cpu_get_features();
    const ep_f32_gemm_config* all[4];
    size_t count = 0;
    all[count++] = &k_gemm_scalar;
#if EP_ARCH_X86_64
    all[count++] = &k_gemm_sse2;  // SSE2 is part of the x86-64 baseline
    if (f->avx2 && f->fma) all[count++] = &k_gemm_avx2_fma;
#endif
#if EP_ARCH_ARM64
    if (f->neon) all[count++] = &k_gemm_neon;
#endif
    (void)f;
    for (size_t i = 0; i < count && i < capacity; i++) out[i] = all[i];
    return count;
}

static const ep_f32_gemm_config* g_gemm_config;

const ep_f32_gemm_config* ep_f32_gemm_get_config(void) {
    const ep_f32_gemm_config* cfg = __atomic_load_n(&g_gemm_config, __ATOMIC_ACQUIRE);
    if (cfg == NULL) {
        const ep_f32_gemm_config* list[4];
        const size_t count = gemm_candidates(list, 4);
        cfg = list[count - 1];
        __atomic_store_n(&g_gemm_config, cfg, __ATOMIC_RELEASE);
    }
    return cfg;
}

const ep_f32_gemm_config* ep_f32_gemm_get_reference_config(void) { return &k_gemm_scalar; }

size_t ep_f32_gemm_list_configs(const ep_f32_gemm_config** out, size_t capacity) {
    return gemm_candidates(out, capacity);
}

// ---------------------------------------------------------------------------------------------
// f32 depthwise convolution

static const ep_f32_dwconv2d_config k_dwconv_scalar = {ep_f32_dwconv2d__scalar,
                                                       "ep_f32_dwconv2d__scalar"};
#if EP_ARCH_X86_64
static const ep_f32_dwconv2d_config k_dwconv_avx2_fma = {
    ep_f32_dwconv2d_minmax_ukernel_row16__avx2_fma,
    "ep_f32_dwconv2d_minmax_ukernel_row16__avx2_fma"};
#endif
#if EP_ARCH_ARM64
static const ep_f32_dwconv2d_config k_dwconv_neon = {
    ep_f32_dwconv2d_minmax_ukernel_row8__neon, "ep_f32_dwconv2d_minmax_ukernel_row8__neon"};
#endif

static size_t dwconv_candidates(const ep_f32_dwconv2d_config** out, size_t capacity) {
    const ep_cpu_features* f = ep_cpu_get_features();
    const ep_f32_dwconv2d_config* all[4];
    size_t count = 0;
    all[count++] = &k_dwconv_scalar;
#if EP_ARCH_X86_64
    if (f->avx2 && f->fma) all[count++] = &k_dwconv_avx2_fma;
#endif
#if EP_ARCH_ARM64
    if (f->neon) all[count++] = &k_dwconv_neon;
#endif
    (void)f;
    for (size_t i = 0; i < count && i < capacity; i++) out[i] = all[i];
    return count;
}

static const ep_f32_dwconv2d_config* g_dwconv_config;

static const ep_f32_dwconv2d_config* dwconv_config(void) {
    const ep_f32_dwconv2d_config* cfg = __atomic_load_n(&g_dwconv_config, __ATOMIC_ACQUIRE);
    if (cfg == NULL) {
        const ep_f32_dwconv2d_config* list[4];
        const size_t count = dwconv_candidates(list, 4);
        cfg = list[count - 1];
        __atomic_store_n(&g_dwconv_config, cfg, __ATOMIC_RELEASE);
    }
    return cfg;
}

void ep_f32_dwconv2d(const ep_conv2d_geometry* g, size_t channels, const float* input,
                     const float* weights, const float* bias, float* output,
                     const ep_f32_minmax_params* params) {
    dwconv_config()->fn(g, channels, input, weights, bias, output, params);
}

const char* ep_f32_dwconv2d_name(void) { return dwconv_config()->name; }

size_t ep_f32_dwconv2d_list_configs(const ep_f32_dwconv2d_config** out, size_t capacity) {
    return dwconv_candidates(out, capacity);
}

// ---------------------------------------------------------------------------------------------
// f32 unstructured sparse x dense: the "csr" and "csc" Linear formats (entries in k_f32_linear).

#include "f32-spmm-csr/ukernels.h"

// ---------------------------------------------------------------------------------------------
// f32 Linear weight formats: every (format, kernel) pair, with the ISA each kernel needs.

enum { EP_ISA_SCALAR, EP_ISA_SSE41, EP_ISA_AVX2_FMA, EP_ISA_NEON, EP_ISA_NEON_DOTPROD };

static int isa_available(int isa) {
    const ep_cpu_features* f = ep_cpu_get_features();
    switch (isa) {
        case EP_ISA_SCALAR: return 1;
        case EP_ISA_SSE41: return f->sse4_1;
        case EP_ISA_AVX2_FMA: return f->avx2 && f->fma;
        case EP_ISA_NEON: return f->neon;
        case EP_ISA_NEON_DOTPROD: return f->neon && f->neon_dotprod;
        default: return 0;
    }
}

typedef struct {
    ep_f32_linear_kernel kernel;
    int isa;
} f32_linear_entry;

// Grouped by format; within a format: the scalar reference first, the preferred variant last.
static const f32_linear_entry k_f32_linear[] = {
    // BEGIN f32-linear-dense (dense format: GEMV / small-batch GEMM)
    {{&ep_f32_linear_dense_format, ep_f32_linear_dense_minmax_ukernel_16x1__scalar,
      "ep_f32_linear_dense_minmax_ukernel_16x1__scalar", 1}, EP_ISA_SCALAR},
#if EP_ARCH_X86_64
    {{&ep_f32_linear_dense_format, ep_f32_linear_dense_minmax_ukernel_32x1__sse41,
      "ep_f32_linear_dense_minmax_ukernel_32x1__sse41", 0}, EP_ISA_SSE41},
    {{&ep_f32_linear_dense_format, ep_f32_linear_dense_minmax_ukernel_64x1__avx2_fma,
      "ep_f32_linear_dense_minmax_ukernel_64x1__avx2_fma", 0}, EP_ISA_AVX2_FMA},
#endif
#if EP_ARCH_ARM64
    {{&ep_f32_linear_dense_format, ep_f32_linear_dense_minmax_ukernel_64x1__neon,
      "ep_f32_linear_dense_minmax_ukernel_64x1__neon", 0}, EP_ISA_NEON},
#endif
    // END f32-linear-dense
    // BEGIN f32-spmm-csr (unstructured)
    {{&ep_f32_linear_format_csr, ep_f32_linear_csr_minmax_ukernel_1x4__scalar,
      "ep_f32_linear_csr_minmax_ukernel_1x4__scalar", 1}, EP_ISA_SCALAR},
#if EP_ARCH_X86_64
    {{&ep_f32_linear_format_csr, ep_f32_linear_csr_minmax_ukernel_1x8__sse41,
      "ep_f32_linear_csr_minmax_ukernel_1x8__sse41", 0}, EP_ISA_SSE41},
    {{&ep_f32_linear_format_csr, ep_f32_linear_csr_minmax_ukernel_1x16__avx2_fma,
      "ep_f32_linear_csr_minmax_ukernel_1x16__avx2_fma", 0}, EP_ISA_AVX2_FMA},
#endif
#if EP_ARCH_ARM64
    {{&ep_f32_linear_format_csr, ep_f32_linear_csr_minmax_ukernel_1x8__neon,
      "ep_f32_linear_csr_minmax_ukernel_1x8__neon", 0}, EP_ISA_NEON},
#endif
    {{&ep_f32_linear_format_csc, ep_f32_linear_csc_minmax_ukernel_256x1__scalar,
      "ep_f32_linear_csc_minmax_ukernel_256x1__scalar", 1}, EP_ISA_SCALAR},
#if EP_ARCH_X86_64
    {{&ep_f32_linear_format_csc, ep_f32_linear_csc_minmax_ukernel_256x1__sse41,
      "ep_f32_linear_csc_minmax_ukernel_256x1__sse41", 0}, EP_ISA_SSE41},
    {{&ep_f32_linear_format_csc, ep_f32_linear_csc_minmax_ukernel_256x1__avx2_fma,
      "ep_f32_linear_csc_minmax_ukernel_256x1__avx2_fma", 0}, EP_ISA_AVX2_FMA},
#endif
#if EP_ARCH_ARM64
    {{&ep_f32_linear_format_csc, ep_f32_linear_csc_minmax_ukernel_256x1__neon,
      "ep_f32_linear_csc_minmax_ukernel_256x1__neon", 0}, EP_ISA_NEON},
#endif
    // END f32-spmm-csr
    // BEGIN f32-spmm-bsr (block sparse)
    {{&ep_f32_linear_bsr1x4_format, ep_f32_linear_bsr1x4_minmax_ukernel_1x4__scalar,
      "ep_f32_linear_bsr1x4_minmax_ukernel_1x4__scalar", 1}, EP_ISA_SCALAR},
#if EP_ARCH_X86_64
    {{&ep_f32_linear_bsr1x4_format, ep_f32_linear_bsr1x4_minmax_ukernel_1x4__sse41,
      "ep_f32_linear_bsr1x4_minmax_ukernel_1x4__sse41", 0}, EP_ISA_SSE41},
    {{&ep_f32_linear_bsr1x4_format, ep_f32_linear_bsr1x4_minmax_ukernel_1x4__avx2_fma,
      "ep_f32_linear_bsr1x4_minmax_ukernel_1x4__avx2_fma", 0}, EP_ISA_AVX2_FMA},
#endif
#if EP_ARCH_ARM64
    {{&ep_f32_linear_bsr1x4_format, ep_f32_linear_bsr1x4_minmax_ukernel_1x4__neon,
      "ep_f32_linear_bsr1x4_minmax_ukernel_1x4__neon", 0}, EP_ISA_NEON},
#endif
    {{&ep_f32_linear_bsr4x1_format, ep_f32_linear_bsr4x1_minmax_ukernel_4x1__scalar,
      "ep_f32_linear_bsr4x1_minmax_ukernel_4x1__scalar", 1}, EP_ISA_SCALAR},
#if EP_ARCH_X86_64
    {{&ep_f32_linear_bsr4x1_format, ep_f32_linear_bsr4x1_minmax_ukernel_4x1__sse41,
      "ep_f32_linear_bsr4x1_minmax_ukernel_4x1__sse41", 0}, EP_ISA_SSE41},
    {{&ep_f32_linear_bsr4x1_format, ep_f32_linear_bsr4x1_minmax_ukernel_4x1__avx2_fma,
      "ep_f32_linear_bsr4x1_minmax_ukernel_4x1__avx2_fma", 0}, EP_ISA_AVX2_FMA},
#endif
#if EP_ARCH_ARM64
    {{&ep_f32_linear_bsr4x1_format, ep_f32_linear_bsr4x1_minmax_ukernel_4x1__neon,
      "ep_f32_linear_bsr4x1_minmax_ukernel_4x1__neon", 0}, EP_ISA_NEON},
#endif
    {{&ep_f32_linear_bsr8x1_format, ep_f32_linear_bsr8x1_minmax_ukernel_8x1__scalar,
      "ep_f32_linear_bsr8x1_minmax_ukernel_8x1__scalar", 1}, EP_ISA_SCALAR},
#if EP_ARCH_X86_64
    {{&ep_f32_linear_bsr8x1_format, ep_f32_linear_bsr8x1_minmax_ukernel_8x1__sse41,
      "ep_f32_linear_bsr8x1_minmax_ukernel_8x1__sse41", 0}, EP_ISA_SSE41},
    {{&ep_f32_linear_bsr8x1_format, ep_f32_linear_bsr8x1_minmax_ukernel_8x1__avx2_fma,
      "ep_f32_linear_bsr8x1_minmax_ukernel_8x1__avx2_fma", 0}, EP_ISA_AVX2_FMA},
#endif
#if EP_ARCH_ARM64
    {{&ep_f32_linear_bsr8x1_format, ep_f32_linear_bsr8x1_minmax_ukernel_8x1__neon,
      "ep_f32_linear_bsr8x1_minmax_ukernel_8x1__neon", 0}, EP_ISA_NEON},
#endif
    {{&ep_f32_linear_bsr16x1_format, ep_f32_linear_bsr16x1_minmax_ukernel_16x1__scalar,
      "ep_f32_linear_bsr16x1_minmax_ukernel_16x1__scalar", 1}, EP_ISA_SCALAR},
#if EP_ARCH_X86_64
    {{&ep_f32_linear_bsr16x1_format, ep_f32_linear_bsr16x1_minmax_ukernel_16x1__sse41,
      "ep_f32_linear_bsr16x1_minmax_ukernel_16x1__sse41", 0}, EP_ISA_SSE41},
    {{&ep_f32_linear_bsr16x1_format, ep_f32_linear_bsr16x1_minmax_ukernel_16x1__avx2_fma,
      "ep_f32_linear_bsr16x1_minmax_ukernel_16x1__avx2_fma", 0}, EP_ISA_AVX2_FMA},
#endif
#if EP_ARCH_ARM64
    {{&ep_f32_linear_bsr16x1_format, ep_f32_linear_bsr16x1_minmax_ukernel_16x1__neon,
      "ep_f32_linear_bsr16x1_minmax_ukernel_16x1__neon", 0}, EP_ISA_NEON},
#endif
    {{&ep_f32_linear_bsr32x1_format, ep_f32_linear_bsr32x1_minmax_ukernel_32x1__scalar,
      "ep_f32_linear_bsr32x1_minmax_ukernel_32x1__scalar", 1}, EP_ISA_SCALAR},
#if EP_ARCH_X86_64
    {{&ep_f32_linear_bsr32x1_format, ep_f32_linear_bsr32x1_minmax_ukernel_32x1__sse41,
      "ep_f32_linear_bsr32x1_minmax_ukernel_32x1__sse41", 0}, EP_ISA_SSE41},
    {{&ep_f32_linear_bsr32x1_format, ep_f32_linear_bsr32x1_minmax_ukernel_32x1__avx2_fma,
      "ep_f32_linear_bsr32x1_minmax_ukernel_32x1__avx2_fma", 0}, EP_ISA_AVX2_FMA},
#endif
#if EP_ARCH_ARM64
    {{&ep_f32_linear_bsr32x1_format, ep_f32_linear_bsr32x1_minmax_ukernel_32x1__neon,
      "ep_f32_linear_bsr32x1_minmax_ukernel_32x1__neon", 0}, EP_ISA_NEON},
#endif
    // END f32-spmm-bsr
    // BEGIN f32-spmm-nm (N:M)
    {{&ep_f32_linear_format_nm2_4, ep_f32_linear_nm2x4_minmax_ukernel_8x1__scalar,
      "ep_f32_linear_nm2x4_minmax_ukernel_8x1__scalar", 1}, EP_ISA_SCALAR},
#if EP_ARCH_X86_64
    {{&ep_f32_linear_format_nm2_4, ep_f32_linear_nm2x4_minmax_ukernel_8x4__sse41,
      "ep_f32_linear_nm2x4_minmax_ukernel_8x4__sse41", 0}, EP_ISA_SSE41},
    {{&ep_f32_linear_format_nm2_4, ep_f32_linear_nm2x4_minmax_ukernel_8x8__avx2_fma,
      "ep_f32_linear_nm2x4_minmax_ukernel_8x8__avx2_fma", 0}, EP_ISA_AVX2_FMA},
#endif
#if EP_ARCH_ARM64
    {{&ep_f32_linear_format_nm2_4, ep_f32_linear_nm2x4_minmax_ukernel_8x4__neon,
      "ep_f32_linear_nm2x4_minmax_ukernel_8x4__neon", 0}, EP_ISA_NEON},
#endif
    {{&ep_f32_linear_format_nm4_8, ep_f32_linear_nm4x8_minmax_ukernel_8x1__scalar,
      "ep_f32_linear_nm4x8_minmax_ukernel_8x1__scalar", 1}, EP_ISA_SCALAR},
#if EP_ARCH_X86_64
    {{&ep_f32_linear_format_nm4_8, ep_f32_linear_nm4x8_minmax_ukernel_8x4__sse41,
      "ep_f32_linear_nm4x8_minmax_ukernel_8x4__sse41", 0}, EP_ISA_SSE41},
    {{&ep_f32_linear_format_nm4_8, ep_f32_linear_nm4x8_minmax_ukernel_8x8__avx2_fma,
      "ep_f32_linear_nm4x8_minmax_ukernel_8x8__avx2_fma", 0}, EP_ISA_AVX2_FMA},
#endif
#if EP_ARCH_ARM64
    {{&ep_f32_linear_format_nm4_8, ep_f32_linear_nm4x8_minmax_ukernel_8x4__neon,
      "ep_f32_linear_nm4x8_minmax_ukernel_8x4__neon", 0}, EP_ISA_NEON},
#endif
    // END f32-spmm-nm
    {{NULL, NULL, NULL, 0}, EP_ISA_SCALAR},  // terminator
};

size_t ep_f32_linear_list_kernels(const ep_f32_linear_kernel** out, size_t capacity) {
    size_t count = 0;
    for (size_t i = 0; k_f32_linear[i].kernel.format != NULL; i++) {
        if (!isa_available(k_f32_linear[i].isa)) continue;
        if (count < capacity) out[count] = &k_f32_linear[i].kernel;
        count++;
    }
    return count;
}

// BEGIN f32-spmm-pixels (sparse conv over pixels: tables and list function)
typedef struct {
    ep_f32_spmm_pixels_kernel kernel;
    int isa;
} f32_spmm_pixels_entry;

// Grouped by format (dense, csr, bsr4x1); within a format the scalar reference first, the
// preferred variant last. The last field of a kernel is its pixel tile.
static const f32_spmm_pixels_entry k_f32_spmm_pixels[] = {
    {{&ep_f32_spmm_pixels_format_dense, ep_f32_spmm_pixels_dense_minmax_ukernel_1x4__scalar,
      "ep_f32_spmm_pixels_dense_minmax_ukernel_1x4__scalar", 1, 1}, EP_ISA_SCALAR},
#if EP_ARCH_X86_64
    {{&ep_f32_spmm_pixels_format_dense, ep_f32_spmm_pixels_dense_minmax_ukernel_16x4__avx2_fma,
      "ep_f32_spmm_pixels_dense_minmax_ukernel_16x4__avx2_fma", 0, 16}, EP_ISA_AVX2_FMA},
#endif
#if EP_ARCH_ARM64
    {{&ep_f32_spmm_pixels_format_dense, ep_f32_spmm_pixels_dense_minmax_ukernel_16x4__neon,
      "ep_f32_spmm_pixels_dense_minmax_ukernel_16x4__neon", 0, 16}, EP_ISA_NEON},
#endif
    {{&ep_f32_spmm_pixels_format_csr, ep_f32_spmm_pixels_csr_minmax_ukernel_1x1__scalar,
      "ep_f32_spmm_pixels_csr_minmax_ukernel_1x1__scalar", 1, 1}, EP_ISA_SCALAR},
#if EP_ARCH_X86_64
    {{&ep_f32_spmm_pixels_format_csr, ep_f32_spmm_pixels_csr_minmax_ukernel_32x1__avx2_fma,
      "ep_f32_spmm_pixels_csr_minmax_ukernel_32x1__avx2_fma", 0, 32}, EP_ISA_AVX2_FMA},
#endif
#if EP_ARCH_ARM64
    {{&ep_f32_spmm_pixels_format_csr, ep_f32_spmm_pixels_csr_minmax_ukernel_16x1__neon,
      "ep_f32_spmm_pixels_csr_minmax_ukernel_16x1__neon", 0, 16}, EP_ISA_NEON},
#endif
    {{&ep_f32_spmm_pixels_format_bsr4x1, ep_f32_spmm_pixels_bsr4x1_minmax_ukernel_1x4__scalar,
      "ep_f32_spmm_pixels_bsr4x1_minmax_ukernel_1x4__scalar", 1, 1}, EP_ISA_SCALAR},
#if EP_ARCH_X86_64
    {{&ep_f32_spmm_pixels_format_bsr4x1, ep_f32_spmm_pixels_bsr4x1_minmax_ukernel_16x4__avx2_fma,
      "ep_f32_spmm_pixels_bsr4x1_minmax_ukernel_16x4__avx2_fma", 0, 16}, EP_ISA_AVX2_FMA},
#endif
#if EP_ARCH_ARM64
    {{&ep_f32_spmm_pixels_format_bsr4x1, ep_f32_spmm_pixels_bsr4x1_minmax_ukernel_16x4__neon,
      "ep_f32_spmm_pixels_bsr4x1_minmax_ukernel_16x4__neon", 0, 16}, EP_ISA_NEON},
#endif
    {{NULL, NULL, NULL, 0, 0}, EP_ISA_SCALAR},  // terminator
};

size_t ep_f32_spmm_pixels_list_kernels(const ep_f32_spmm_pixels_kernel** out, size_t capacity) {
    size_t count = 0;
    for (size_t i = 0; k_f32_spmm_pixels[i].kernel.format != NULL; i++) {
        if (!isa_available(k_f32_spmm_pixels[i].isa)) continue;
        if (count < capacity) out[count] = &k_f32_spmm_pixels[i].kernel;
        count++;
    }
    return count;
}
// END f32-spmm-pixels

// BEGIN qs8-linear (int8 Linear formats and kernels: tables and list function)
typedef struct {
    ep_qs8_linear_kernel kernel;
    int isa;
} qs8_linear_entry;

#define EP_QS8_ENTRY(format, fn, reference, isa) {{&(format), fn, #fn, reference}, isa}

// Grouped by format; within a format: the scalar reference first, the preferred variant last.
// (No AVX-512 VNNI / AVX-VNNI variant: none of the target x86 machines has it.)
static const qs8_linear_entry k_qs8_linear[] = {
    EP_QS8_ENTRY(ep_qs8_linear_format_dense, ep_qs8_linear_dense_minmax_ukernel_4x16__scalar, 1,
                 EP_ISA_SCALAR),
#if EP_ARCH_X86_64
    EP_QS8_ENTRY(ep_qs8_linear_format_dense, ep_qs8_linear_dense_minmax_ukernel_4x16__sse41, 0,
                 EP_ISA_SSE41),
    EP_QS8_ENTRY(ep_qs8_linear_format_dense, ep_qs8_linear_dense_minmax_ukernel_4x16__avx2, 0,
                 EP_ISA_AVX2_FMA),
#endif
#if EP_ARCH_ARM64
    EP_QS8_ENTRY(ep_qs8_linear_format_dense, ep_qs8_linear_dense_minmax_ukernel_4x16__neon, 0,
                 EP_ISA_NEON),
    EP_QS8_ENTRY(ep_qs8_linear_format_dense, ep_qs8_linear_dense_minmax_ukernel_4x16__neondot, 0,
                 EP_ISA_NEON_DOTPROD),
#endif
    EP_QS8_ENTRY(ep_qs8_linear_format_bsr4x4, ep_qs8_linear_bsr4x4_minmax_ukernel_4x4__scalar, 1,
                 EP_ISA_SCALAR),
#if EP_ARCH_X86_64
    EP_QS8_ENTRY(ep_qs8_linear_format_bsr4x4, ep_qs8_linear_bsr4x4_minmax_ukernel_4x4__sse41, 0,
                 EP_ISA_SSE41),
    EP_QS8_ENTRY(ep_qs8_linear_format_bsr4x4, ep_qs8_linear_bsr4x4_minmax_ukernel_4x4__avx2, 0,
                 EP_ISA_AVX2_FMA),
#endif
#if EP_ARCH_ARM64
    EP_QS8_ENTRY(ep_qs8_linear_format_bsr4x4, ep_qs8_linear_bsr4x4_minmax_ukernel_4x4__neon, 0,
                 EP_ISA_NEON),
    EP_QS8_ENTRY(ep_qs8_linear_format_bsr4x4, ep_qs8_linear_bsr4x4_minmax_ukernel_4x4__neondot, 0,
                 EP_ISA_NEON_DOTPROD),
#endif
    EP_QS8_ENTRY(ep_qs8_linear_format_bsr8x4, ep_qs8_linear_bsr8x4_minmax_ukernel_8x4__scalar, 1,
                 EP_ISA_SCALAR),
#if EP_ARCH_X86_64
    EP_QS8_ENTRY(ep_qs8_linear_format_bsr8x4, ep_qs8_linear_bsr8x4_minmax_ukernel_8x4__sse41, 0,
                 EP_ISA_SSE41),
    EP_QS8_ENTRY(ep_qs8_linear_format_bsr8x4, ep_qs8_linear_bsr8x4_minmax_ukernel_8x4__avx2, 0,
                 EP_ISA_AVX2_FMA),
#endif
#if EP_ARCH_ARM64
    EP_QS8_ENTRY(ep_qs8_linear_format_bsr8x4, ep_qs8_linear_bsr8x4_minmax_ukernel_8x4__neon, 0,
                 EP_ISA_NEON),
    EP_QS8_ENTRY(ep_qs8_linear_format_bsr8x4, ep_qs8_linear_bsr8x4_minmax_ukernel_8x4__neondot, 0,
                 EP_ISA_NEON_DOTPROD),
#endif
    {{NULL, NULL, NULL, 0}, EP_ISA_SCALAR},  // terminator
};

size_t ep_qs8_linear_list_kernels(const ep_qs8_linear_kernel** out, size_t capacity) {
    size_t count = 0;
    for (size_t i = 0; k_qs8_linear[i].kernel.format != NULL; i++) {
        if (!isa_available(k_qs8_linear[i].isa)) continue;
        if (count < capacity) out[count] = &k_qs8_linear[i].kernel;
        count++;
    }
    return count;
}
// END qs8-linear
