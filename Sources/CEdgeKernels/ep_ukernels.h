// Private declarations of every microkernel variant (not part of the public API in include/).
// config.c is the only file that references ISA-specific kernels; it picks among them at run time.
#ifndef EP_UKERNELS_H
#define EP_UKERNELS_H

#include "edge_kernels.h"

#if defined(__x86_64__) || defined(_M_X64)
#define EP_ARCH_X86_64 1
#endif
#if defined(__aarch64__) || defined(_M_ARM64)
#define EP_ARCH_ARM64 1
#endif

#define EP_DECLARE_F32_GEMM_UKERNEL(fn)                                                  \
    void fn(size_t mr, size_t nr, size_t k, const float* a, size_t lda,                  \
            const float* b_panel, float* c, size_t ldc, const float* bias_m,             \
            const float* bias_n, const ep_f32_minmax_params* params)

EP_DECLARE_F32_GEMM_UKERNEL(ep_f32_gemm_minmax_ukernel_4x4__scalar);
#if EP_ARCH_X86_64
EP_DECLARE_F32_GEMM_UKERNEL(ep_f32_gemm_minmax_ukernel_4x8__sse2);
EP_DECLARE_F32_GEMM_UKERNEL(ep_f32_gemm_minmax_ukernel_6x16__avx2_fma);
#endif
#if EP_ARCH_ARM64
EP_DECLARE_F32_GEMM_UKERNEL(ep_f32_gemm_minmax_ukernel_8x8__neon);
#endif

#define EP_DECLARE_F32_DWCONV2D(fn)                                                      \
    void fn(const ep_conv2d_geometry* g, size_t channels, const float* input,            \
            const float* weights, const float* bias, float* output,                      \
            const ep_f32_minmax_params* params)

#if EP_ARCH_X86_64
EP_DECLARE_F32_DWCONV2D(ep_f32_dwconv2d_minmax_ukernel_row16__avx2_fma);
#endif
#if EP_ARCH_ARM64
EP_DECLARE_F32_DWCONV2D(ep_f32_dwconv2d_minmax_ukernel_row8__neon);
#endif

#endif  // EP_UKERNELS_H
